/** Runs `listen`/`tail`: validates flags, resolves the connection, wires signals, runs the listener. */
import { existsSync, readFileSync } from 'node:fs';
import { configDir, defaultDataDir } from '../../config/paths.js';
import { AUTHORIZATION_ENV, DETACHED_ENV, DETACHED_PAT_ENV, PID_PLACEHOLDER, runDetached, startChildRecord } from '../../listener/detach.js';
import type { Connection } from '../../config/resolve.js';
import { connectionFor } from '../connection.js';
import { closeJq, JqCompileError, RecordFilter } from '../../jq/recordFilter.js';
import { WebhookAlreadyConfiguredError } from '../../konnect/listenerSetup.js';
import { runListener, ListenerError, type ListenerLifecycle } from '../../listener/run.js';
import { assertBackfillAskable, validateListenFlags } from '../../listener/settings.js';
import { createLogger, type LogLevel } from '../../log/logger.js';
import { ProfileLockedError } from '../../store/lock.js';
import { profilePaths } from '../../store/paths.js';
import { RuntimeError, UsageError } from '../errors.js';
import { rejectPositionals } from '../flags.js';
import { parseDuration } from '../parse.js';
import { renderStructured, type OutputFormat } from '../output/structured.js';
import type { ListenCommandFlags } from './listen.js';

/**
 * Stops the listener on SIGINT/SIGTERM, on a closed stdout (`tail | head`), and on an uncaught
 * error. A closed stdout or stderr must never become an error of its own: writing the report of a
 * crash to a closed stderr would otherwise raise another crash, forever.
 */
function stopSignal(stderr: NodeJS.WriteStream): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  let count = 0;
  let crashed = false;
  const onSignal = (name: string) => {
    count++;
    if (count === 1) controller.abort(new Error(name));
    else safeWrite(stderr, `${name} again: Konnect clean-up is still running (it gives up after 60 s)\n`);
  };
  const onInt = () => onSignal('SIGINT');
  const onTerm = () => onSignal('SIGTERM');
  const onStdoutError = (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') controller.abort(new Error('stdout closed'));
  };
  const onStderrError = () => {
    // Nothing can be reported on a closed stderr; the log file (if any) still gets everything.
  };
  const onCrash = (error: unknown) => {
    if (crashed) return;
    crashed = true;
    safeWrite(stderr, `error: unexpected failure, cleaning up Konnect state: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
    controller.abort(error);
  };
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  process.stdout.on('error', onStdoutError);
  stderr.on('error', onStderrError);
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      process.stdout.off('error', onStdoutError);
      process.off('uncaughtException', onCrash);
      process.off('unhandledRejection', onCrash);
      // stderr keeps its no-op error handler: the process may still write a last error line.
    },
  };
}

function safeWrite(stream: NodeJS.WriteStream, text: string): void {
  if (stream.destroyed || !stream.writable) return;
  try {
    stream.write(text);
  } catch {
    // a closed stream: nothing to do
  }
}

/** Advice appended to the start-up guard's error: what `konnect-audit cleanup` would remove. */
function guardAdvice(error: WebhookAlreadyConfiguredError, connection: Connection, dataDir: string): string {
  const recorded = profilePaths(dataDir, connection.profile).destinationFile;
  let recordedId: string | undefined;
  if (existsSync(recorded)) {
    try {
      recordedId = (JSON.parse(readFileSync(recorded, 'utf8')) as { destination_id?: string }).destination_id;
    } catch {
      recordedId = undefined;
    }
  }
  const id = error.destinationId ?? recordedId;
  if (id) {
    return `It is bound to destination ${id}${recordedId === id ? ` (recorded in ${recorded} by an earlier listener)` : ''}. If no listener uses it any more, run:\n  konnect-audit cleanup --profile ${connection.profile} --destination-id ${id}\nwhich disables and unbinds the regional webhook and deletes that destination.`;
  }
  return `It was configured inline (endpoint ${JSON.stringify(error.endpoint)}), not by konnect-audit. To free the region, disable and delete it: PATCH ${connection.baseUrl}/v2/audit-log-webhook {"enabled":false}, then DELETE ${connection.baseUrl}/v3/audit-log-webhook.`;
}

/** `listen --detach`: start the child, wait for it, say what happened. */
async function detach(flags: ListenCommandFlags): Promise<void> {
  const outcome = await runDetached({ argv: process.argv.slice(2), configDir: configDir(), timeoutMs: parseDuration(flags.detachTimeout ?? '60s', '--detach-timeout') });
  if (!outcome.ok) {
    const where = outcome.recordFile ? `\n  process record (kept for ps): ${outcome.recordFile}` : '';
    const log = outcome.logFile ? `\n  log file: ${outcome.logFile}` : '';
    throw new RuntimeError(`detached listener${outcome.pid ? ` (pid ${outcome.pid})` : ''} failed to start: ${outcome.error}${log}${where}`);
  }
  const info = { pid: outcome.pid, log_file: outcome.logFile, process_record: outcome.recordFile, endpoint: outcome.endpoint, local_endpoint: outcome.localEndpoint };
  process.stdout.write(
    renderStructured((flags.output ?? 'text') as OutputFormat, info, () =>
      [
        'Detached Konnect audit-log listener started.',
        `  pid: ${info.pid}`,
        `  log file: ${info.log_file}`,
        `  process record: ${info.process_record}`,
        `  endpoint: ${info.endpoint}`,
        `  local endpoint: ${info.local_endpoint}`,
        `Stop it with: konnect-audit ps stop ${info.pid}`,
        '',
      ].join('\n'),
    ),
  );
}

/** Runs listen/tail; usage errors point at the verb's own help. */
export async function runListenCommand(verb: 'listen' | 'tail', args: readonly string[], flags: ListenCommandFlags): Promise<void> {
  // A detached child records itself first, so that any failure, even of its flags, reaches the parent and `ps`.
  const detachedConfigDir = process.env[DETACHED_ENV];
  const logFile = flags.logFile?.replaceAll(PID_PLACEHOLDER, String(process.pid));
  const child = detachedConfigDir ? await startChildRecord(detachedConfigDir, flags.profile ?? 'default', logFile ?? '') : undefined;
  try {
    await listen(args, { ...flags, ...(logFile ? { logFile } : {}) }, child?.lifecycle);
  } catch (error) {
    await child?.failed((error as Error).message);
    if (error instanceof UsageError && error.command === undefined) throw new UsageError(error.message, verb);
    throw error;
  }
}

/** Secrets that may come from the environment instead of the command line (see detach.ts). */
function withSecretsFromEnv(flags: ListenCommandFlags, env: NodeJS.ProcessEnv): ListenCommandFlags {
  const pat = env[DETACHED_ENV] ? env[DETACHED_PAT_ENV] : undefined;
  delete env[DETACHED_PAT_ENV]; // not inherited by anything this process starts
  return {
    ...flags,
    ...(flags.authorization === undefined && env[AUTHORIZATION_ENV] !== undefined ? { authorization: env[AUTHORIZATION_ENV] } : {}),
    ...(flags.pat === undefined && pat !== undefined ? { pat } : {}),
  };
}

async function listen(args: readonly string[], given: ListenCommandFlags, lifecycle: ListenerLifecycle | undefined): Promise<void> {
  rejectPositionals(args);
  const flags = withSecretsFromEnv(given, process.env);
  if (flags.detach && flags.tail) throw new UsageError('--detach is not supported with --tail');
  const settings = validateListenFlags(flags);
  assertBackfillAskable(settings.backfill, { detach: flags.detach === true, stdinIsTty: process.stdin.isTTY === true, stderrIsTty: process.stderr.isTTY === true });
  if (flags.detach) {
    await detach(flags);
    return;
  }
  let filter: RecordFilter | undefined;
  if (settings.jq !== undefined) {
    try {
      filter = await RecordFilter.compile({ expression: settings.jq, args: settings.jqArgs, raw: settings.jqRaw });
    } catch (error) {
      await closeJq();
      if (error instanceof JqCompileError) throw new UsageError(`invalid jq expression: ${error.message}`);
      throw error;
    }
  }
  const connection = await connectionFor(flags);
  const setting = (key: string) => {
    const value = connection.profileSettings[key];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const dataDir = flags.dataDir ?? setting('data-dir') ?? defaultDataDir();
  const log = createLogger({ level: (flags.logLevel ?? 'error') as LogLevel, file: flags.logFile ?? setting('log-file') });
  const stop = stopSignal(process.stderr);
  try {
    const code = await runListener({
      lifecycle,
      settings,
      connection,
      dataDir,
      output: (flags.output ?? 'text') as OutputFormat,
      filter,
      stdout: process.stdout,
      stderr: process.stderr,
      logger: log.logger,
      stop: stop.signal,
    });
    if (code !== 0) process.exitCode = code;
  } catch (error) {
    if (error instanceof WebhookAlreadyConfiguredError) throw new RuntimeError(`${error.message}\n${guardAdvice(error, connection, dataDir)}`);
    if (error instanceof ListenerError || error instanceof ProfileLockedError) throw new RuntimeError(error.message);
    throw error;
  } finally {
    stop.dispose();
    log.close();
    await closeJq();
  }
}
