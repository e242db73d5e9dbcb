/**
 * The listener's life: take the profile's lock, open the events file, bind the receiver (before
 * Konnect is touched, so a busy port creates nothing), create the destination and bind the
 * webhook, serve until asked to stop, then release Konnect state and close. Whatever fails or is
 * interrupted after the destination exists, the destination is deleted and the webhook released;
 * if that clean-up fails, the error says exactly what is left and how to remove it.
 */
import type { Logger } from 'pino';
import type { Connection } from '../config/resolve.js';
import { KonnectClient } from '../konnect/client.js';
import {
  assertNameFree,
  assertRegionUnconfigured,
  bindWebhook,
  createDestination,
  leftoverCommands,
  releaseListener,
  type ReleaseReport,
} from '../konnect/listenerSetup.js';
import type { AuditLogDestination, AuditLogReplayJob, AuditLogWebhookV3 } from '../konnect/types.js';
import { startReceiver, type Receiver } from '../receiver/server.js';
import { openEventLog, type EventLog } from '../store/eventLog.js';
import { ensurePrivateDir, removeAbandonedTempFiles, writeJsonAtomic } from '../store/files.js';
import { acquireProfileLock } from '../store/lock.js';
import { profilePaths } from '../store/paths.js';
import { VERSION } from '../version.js';
import { rm } from 'node:fs/promises';
import { renderStructured, type OutputFormat } from '../cli/output/structured.js';
import type { RecordFilter } from '../jq/recordFilter.js';
import type { ListenerSettings } from './settings.js';
import { TailSink, type TailOutput } from './tailSink.js';
import { DEDUPE_WINDOW_MS, Deduplicator } from './dedupe.js';
import { StoreMaintenance } from './storeMaintenance.js';
import { storedEventFiles } from '../store/read.js';
import { segmentMayHoldSince } from '../store/segments.js';
import { RecordVerifier } from './verification.js';
import { RateLimitedWarnings } from './warnings.js';
import { Keyring } from '../signatures/keyring.js';
import { newestRecord } from '../store/newest.js';
import { askOnTerminal, backfillListenerGap, konnectReplayApi, RunMarkerFile, settleReplayJob, SETTLE_TIMEOUT_MS, type BackfillContext, type BackfillReporter } from './backfill.js';
import { ACTIVE_REPLAY_STATES } from '../konnect/replayJob.js';

/** Everything a run needs from the outside world. */
export interface ListenerRun {
  readonly settings: ListenerSettings;
  readonly connection: Connection;
  readonly dataDir: string;
  readonly output: OutputFormat;
  readonly filter: RecordFilter | undefined;
  readonly stdout: TailOutput;
  readonly stderr: { write(chunk: string): unknown };
  readonly logger: Logger;
  /** Fires when the listener should stop (SIGINT, SIGTERM, stdout closed). */
  readonly stop: AbortSignal;
  /** Clean-up budget (kongctl: a fresh 60 s). */
  readonly cleanupBudgetMs?: number;
  /** Told when the listener is serving and when its Konnect clean-up ended (a detached child records both). */
  readonly lifecycle?: ListenerLifecycle;
}

/** What a detached listener reports about itself. */
export interface ListenerLifecycle {
  started?(info: { readonly endpoint: string; readonly localEndpoint: string; readonly destinationId: string }): Promise<void>;
  cleanedUp?(report: ReleaseReport): Promise<void>;
}

/** A start-up or shutdown failure whose message is complete (what failed, what is left). */
export class ListenerError extends Error {}

class Interrupted extends Error {
  constructor() {
    super('interrupted during start-up');
  }
}

function checkStop(signal: AbortSignal): void {
  if (signal.aborted) throw new Interrupted();
}

function waitForStop(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/** Runs the listener; resolves with the exit code. */
export async function runListener(run: ListenerRun): Promise<number> {
  const paths = profilePaths(run.dataDir, run.connection.profile);
  await ensurePrivateDir(paths.dir);
  const lock = await acquireProfileLock(paths.lockFile);
  try {
    // A listener killed while replacing a state file leaves its temp copy behind.
    await removeAbandonedTempFiles(paths.dir);
    // Read what the previous listener left (a kill leaves its marker) before writing ours.
    const marker = await RunMarkerFile.open(paths.dir);
    try {
      return await runLocked(run, paths, marker);
    } finally {
      await marker.stoppedCleanly().catch((error: Error) => run.logger.warn({ err: error }, 'cannot update the run marker'));
    }
  } finally {
    await lock.release();
  }
}

/** What the back-fill needs from start-up: the store's newest record and the listener's counters. */
interface BackfillInputs {
  readonly marker: RunMarkerFile;
  readonly newestRecordMs: number | undefined;
  readonly counters: () => { readonly stored: number; readonly duplicates: number | undefined };
}

async function runLocked(run: ListenerRun, paths: ReturnType<typeof profilePaths>, marker: RunMarkerFile): Promise<number> {
  const { settings } = run;
  const warnings = new RateLimitedWarnings((line) => run.stderr.write(line));
  const maintenance = new StoreMaintenance(paths.dir, { retainMs: settings.retainMs, retainBytes: settings.retainBytes }, (message) => warnings.warn(message));
  maintenance.start();
  const events = await openEventLog(paths.eventsFile, {
    rotateBytes: settings.rotateBytes,
    rotateIntervalMs: settings.rotateIntervalMs,
    onRotated: (segment) => maintenance.segmentClosed(segment),
  });
  // An idle listener still closes a file that has grown old.
  const rotationTimer = settings.rotateIntervalMs === undefined ? undefined : setInterval(() => void events.rotateIfDue(), Math.min(settings.rotateIntervalMs, 60_000));
  rotationTimer?.unref();
  const quarantine = settings.verify === 'enforce' ? await openEventLog(paths.quarantineFile) : undefined;
  const client = new KonnectClient({ baseUrl: run.connection.baseUrl, globalBaseUrl: run.connection.globalBaseUrl, token: run.connection.token, userAgent: `konnect-audit/${VERSION}` });
  const verifier =
    settings.verify === 'off'
      ? undefined
      : new RecordVerifier(new Keyring({ fetch: () => client.getJwks(), cacheFile: paths.jwksFile }), (message) => warnings.warn(message));
  // Every file that can hold a record Konnect may still resend: segments of the last 8 days, the active file, quarantine.
  const recent = (await storedEventFiles(paths.dir)).filter((file) => segmentMayHoldSince(file, Date.now() - DEDUPE_WINDOW_MS));
  const dedupe = settings.keepDuplicates
    ? undefined
    : await Deduplicator.load([...recent, paths.quarantineFile], (file, error) => warnings.warn(`warning: cannot read ${file} for de-duplication (its records may be stored again if Konnect resends them): ${error.message}`));
  dedupe?.startEviction();
  if (dedupe) run.logger.info({ records: dedupe.loaded, index_bytes: dedupe.index.bytes }, 'de-duplication index loaded');
  // Read before the receiver serves, so that it is the newest record of before this start.
  const newest = await newestRecord(paths.dir).catch((error: Error) => {
    warnings.warn(`warning: cannot read the newest stored record (no gap back-fill from it): ${error.message}`);
    return undefined;
  });
  const inner = storeFor(events, quarantine, verifier);
  let stored = 0;
  const store = async (records: Buffer[]) => {
    await inner(records);
    stored += records.length;
  };
  const backfill: BackfillInputs = { marker, newestRecordMs: newest?.timeMs, counters: () => ({ stored, duplicates: dedupe?.duplicates }) };
  try {
    return await serve(run, paths, client, dedupe ? dedupe.wrap(store) : store, verifier, backfill);
  } finally {
    if (dedupe) {
      dedupe.stop();
      run.logger.info({ duplicates: dedupe.duplicates }, 'records received again and not stored twice');
    }
    await verifier?.idle();
    if (verifier) {
      const { valid, ...problems } = verifier.counts;
      run.logger.info({ valid, ...problems }, 'signature checks');
      // All valid is the normal case and stays quiet; anything else is worth a line at exit.
      if (Object.values(problems).some((n) => n > 0)) run.stderr.write(`${verifier.summary()}\n`);
    }
    clearInterval(rotationTimer);
    await events.close();
    await quarantine?.close();
    await maintenance.idle();
  }
}

/**
 * How a request's records are stored: as they are (`--verify off`), stored then checked in the
 * background (`warn`), or checked first with failures sent to quarantine (`enforce`).
 */
function storeFor(events: EventLog, quarantine: EventLog | undefined, verifier: RecordVerifier | undefined): (records: Buffer[]) => Promise<void> {
  if (!verifier) return (records) => events.append(records);
  if (!quarantine) {
    return async (records) => {
      await events.append(records);
      verifier.checkLater(records);
    };
  }
  return async (records) => {
    const { accepted, quarantined } = await verifier.partition(records);
    await Promise.all([events.append(accepted), quarantine.append(quarantined)]);
  };
}

async function serve(
  run: ListenerRun,
  paths: ReturnType<typeof profilePaths>,
  client: KonnectClient,
  persist: (records: Buffer[]) => Promise<void>,
  verifier: RecordVerifier | undefined,
  backfill: BackfillInputs,
): Promise<number> {
  const { settings, logger } = run;
  const sink = settings.tail ? new TailSink(run.stdout, run.stderr, run.filter) : undefined;
  let receiver: Receiver;
  try {
    receiver = await startReceiver({
      host: settings.host,
      port: settings.port,
      path: settings.path,
      authorization: settings.authorization,
      maxBodyBytes: settings.maxBodyBytes,
      headersTimeoutMs: settings.headerTimeoutMs,
      requestTimeoutMs: settings.requestTimeoutMs,
      onRecords: sink
        ? async (records) => {
            await persist(records);
            // Printed after the records are durable, without holding up Konnect's 202.
            void sink.write(records);
          }
        : persist,
      // Each request is logged at debug level only; below it, the details are not even gathered.
      onRequest: logger.isLevelEnabled('debug') ? (info) => logger.debug(info, 'request') : undefined,
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new ListenerError(`cannot listen on ${settings.listenAddress}: address already in use (nothing was created in Konnect)`);
    if (code === 'EADDRNOTAVAIL') throw new ListenerError(`cannot listen on ${settings.listenAddress}: address not available on this machine (nothing was created in Konnect)`);
    if (code === 'EACCES') throw new ListenerError(`cannot listen on ${settings.listenAddress}: permission denied (nothing was created in Konnect)`);
    throw error;
  }
  logger.info({ url: receiver.url }, 'receiver listening');

  let destination: AuditLogDestination | undefined;
  let exitCode = 0;
  let enabledAtMs = Date.now();
  const backfillStop = new AbortController();
  const stopBackfill = () => backfillStop.abort();
  run.stop.addEventListener('abort', stopBackfill, { once: true });
  let backfillDone: Promise<unknown> = Promise.resolve();
  const backfillJob: { requested?: boolean; last?: AuditLogReplayJob } = {};
  try {
    let webhook: AuditLogWebhookV3 | undefined;
    try {
      if (settings.configureWebhook) await assertRegionUnconfigured(client);
      checkStop(run.stop);
      await assertNameFree(client, settings.name);
      checkStop(run.stop);
      destination = await createDestination(client, {
        name: settings.name,
        endpoint: settings.endpoint,
        logFormat: settings.logFormat,
        skipSslVerification: settings.skipSslVerification,
        authorization: settings.authorization,
      });
      logger.info({ destination_id: destination.id, name: destination.name }, 'destination created');
      checkStop(run.stop);
      if (settings.configureWebhook) {
        webhook = await bindWebhook(client, destination.id);
        enabledAtMs = Date.now();
        logger.info({ destination_id: destination.id }, 'regional webhook bound and enabled');
      }
      checkStop(run.stop);
      await writeState(run, paths, receiver, destination, webhook);
    } catch (error) {
      if (destination === undefined) {
        if (error instanceof Interrupted) return 130;
        throw error;
      }
      const report = await release(run, client, destination.id);
      const what = error instanceof Interrupted ? 'interrupted during start-up' : `start-up failed: ${(error as Error).message}`;
      throw new ListenerError(`${what}\n${describeRelease(run, destination.id, report)}`);
    }

    // Fetch (and save beside the events) the region's keys now, not when the first record arrives.
    if (verifier) void verifier.prefetchKeys();
    announceStart(run, receiver, destination, paths);
    await run.lifecycle?.started?.({ endpoint: settings.endpoint, localEndpoint: localEndpoint(receiver), destinationId: destination.id });
    // In the background: the listener is ready now, and a stop aborts it at once.
    backfillDone = startBackfill(run, client, backfill, enabledAtMs, backfillStop.signal, {
      onRequest: () => (backfillJob.requested = true),
      onJob: (job) => (backfillJob.last = job),
    });
    await waitForStop(run.stop);
    logger.info('stopping');
    backfillStop.abort();
    await backfillDone;
    // Konnect refuses to unbind a webhook while a replay job runs: let ours end (the receiver still serves it).
    if (backfillJob.requested && (backfillJob.last === undefined || ACTIVE_REPLAY_STATES.has(backfillJob.last.status))) {
      const settled = await settleReplayJob(client, {
        onWaiting: (job) => run.stderr.write(`stopping: waiting up to ${SETTLE_TIMEOUT_MS / 1000} s for the back-fill replay job (${job.status}) to end: Konnect does not unbind a webhook while a replay job runs\n`),
      });
      logger.info({ job: settled }, 'back-fill replay job at stop');
    }
    const report = await release(run, client, destination.id);
    if (report.problems.length > 0) {
      run.stderr.write(`error: ${describeRelease(run, destination.id, report)}\n`);
      exitCode = 1;
    } else {
      await rm(paths.destinationFile, { force: true });
    }
    announceStop(run, destination.id, report);
    return exitCode;
  } finally {
    run.stop.removeEventListener('abort', stopBackfill);
    backfillStop.abort();
    await backfillDone;
    await receiver.close();
  }
}

/**
 * Starts the gap back-fill (backfill.ts) once the webhook is enabled and the receiver serves. Its
 * lines go to stderr (stdout may carry records) and to the log; it never fails the listener.
 */
function startBackfill(
  run: ListenerRun,
  client: KonnectClient,
  inputs: BackfillInputs,
  enabledAtMs: number,
  signal: AbortSignal,
  track: Pick<BackfillContext, 'onRequest' | 'onJob'>,
): Promise<unknown> {
  const { settings, logger } = run;
  const report: BackfillReporter = {
    info: (message, fields = {}) => {
      logger.info(fields, message);
      run.stderr.write(`${message}\n`);
    },
    warn: (message, fields = {}) => {
      logger.warn(fields, message);
      run.stderr.write(`${message}\n`);
    },
    note: (message, fields = {}) => logger.info(fields, message),
  };
  if (!settings.configureWebhook) {
    report.note('back-fill: skipped: with --configure-webhook=false a replay would go to a regional webhook this listener does not manage');
    return Promise.resolve();
  }
  return backfillListenerGap({
    mode: settings.backfill,
    api: konnectReplayApi(client, signal),
    report,
    signal,
    counters: inputs.counters,
    confirm: (question) => askOnTerminal(question, signal),
    marker: inputs.marker,
    newestRecordMs: inputs.newestRecordMs,
    enabledAtMs,
    profile: run.connection.profile,
    ...track,
  }).catch((error: unknown) => report.warn(`warning: back-fill: ${(error as Error).message}`));
}

/** The URL to reach the receiver from this machine: a wildcard bind is reached on loopback, as kongctl shows it. */
function localEndpoint(receiver: Receiver): string {
  const host = receiver.host === '0.0.0.0' ? '127.0.0.1' : receiver.host === '::' ? '::1' : receiver.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${receiver.port}${new URL(receiver.url).pathname}`;
}

async function release(run: ListenerRun, client: KonnectClient, destinationId: string): Promise<ReleaseReport> {
  // duplicatesOf: a timed-out create may land after its retry; only this listener uses its (checked-free) name.
  const duplicatesOf = { name: run.settings.name, endpoint: run.settings.endpoint };
  const report = await releaseListener(client, { destinationId, configureWebhook: run.settings.configureWebhook, budgetMs: run.cleanupBudgetMs ?? 60_000, duplicatesOf });
  run.logger.info({ destination_id: destinationId, ...report }, 'Konnect clean-up finished');
  await run.lifecycle?.cleanedUp?.(report);
  return report;
}

/** What clean-up did, and when it failed what is left and the commands that remove it. */
function describeRelease(run: ListenerRun, destinationId: string, report: ReleaseReport): string {
  if (report.problems.length === 0) {
    return `Konnect was left clean: ${run.settings.configureWebhook ? 'webhook released, ' : ''}destination ${destinationId} deleted.`;
  }
  const left: string[] = [];
  if (run.settings.configureWebhook && !report.webhookReleased) left.push(`the regional webhook (${run.connection.baseUrl}) still points at destination ${destinationId}`);
  if (!report.destinationDeleted) left.push(`destination ${destinationId} still exists`);
  for (const id of report.duplicatesLeft ?? []) left.push(`destination ${id} (a duplicate a retried create left) still exists`);
  const commands = leftoverCommands(run.connection, report, { destinationId, configureWebhook: run.settings.configureWebhook });
  return [
    `clean-up of Konnect state failed: ${report.problems.join('; ')}`,
    `Left behind: ${left.join('; ')}.`,
    `Remove it with: konnect-audit cleanup --profile ${run.connection.profile} --destination-id ${destinationId}`,
    'or:',
    ...commands.map((c) => `  ${c}`),
  ].join('\n');
}

async function writeState(run: ListenerRun, paths: ReturnType<typeof profilePaths>, receiver: Receiver, destination: AuditLogDestination, webhook: AuditLogWebhookV3 | undefined): Promise<void> {
  const { settings, connection } = run;
  const now = new Date().toISOString();
  await writeJsonAtomic(paths.destinationFile, {
    created_at: now,
    profile: connection.profile,
    destination_id: destination.id,
    destination_name: destination.name,
    destination_endpoint: destination.endpoint,
    log_format: destination.log_format,
    skip_ssl_verification: destination.skip_ssl_verification,
    authorization_configured: true,
    webhook_configured: settings.configureWebhook,
    events_file: paths.eventsFile,
    destination_state_file: paths.destinationFile,
    base_url: connection.baseUrl,
    global_base_url: connection.globalBaseUrl,
    destination_response: destination,
    ...(webhook ? { webhook_response: webhook } : {}),
  });
  await writeJsonAtomic(paths.listenerFile, {
    started_at: now,
    profile: connection.profile,
    pid: process.pid,
    listen_address: `${receiver.host.includes(':') ? `[${receiver.host}]` : receiver.host}:${receiver.port}`,
    listen_path: settings.path,
    local_endpoint: localEndpoint(receiver),
    ...(settings.publicUrl ? { public_url: settings.publicUrl } : {}),
    events_file: paths.eventsFile,
  });
}

function announceStart(run: ListenerRun, receiver: Receiver, destination: AuditLogDestination, paths: ReturnType<typeof profilePaths>): void {
  const { settings } = run;
  const info = {
    event: 'started',
    destination: {
      name: destination.name,
      id: destination.id,
      endpoint: destination.endpoint,
      log_format: destination.log_format,
      skip_ssl_verification: destination.skip_ssl_verification,
      webhook_configured: settings.configureWebhook,
    },
    listener: {
      local_endpoint: localEndpoint(receiver),
      listen_address: `${receiver.host.includes(':') ? `[${receiver.host}]` : receiver.host}:${receiver.port}`,
      path: settings.path,
      events_file: paths.eventsFile,
      state_file: paths.destinationFile,
    },
  };
  run.logger.info(info, 'listener started');
  if (settings.tail) return;
  run.stdout.write(
    renderStructured(run.output, info, () =>
      [
        'Konnect Audit-Log Listener Started',
        '  Destination',
        `    name:                  ${info.destination.name}`,
        `    id:                    ${info.destination.id}`,
        `    endpoint:              ${info.destination.endpoint}`,
        `    log format:            ${info.destination.log_format}`,
        `    skip SSL verification: ${info.destination.skip_ssl_verification}`,
        `    webhook configured:    ${info.destination.webhook_configured}`,
        '  Listener',
        `    local endpoint:        ${info.listener.local_endpoint}`,
        `    listen address:        ${info.listener.listen_address}`,
        `    path:                  ${info.listener.path}`,
        `    events file:           ${info.listener.events_file}`,
        `    state file:            ${info.listener.state_file}`,
        'Listening for audit-log events. Press Ctrl+C to stop.',
        '',
      ].join('\n'),
    ),
  );
}

function announceStop(run: ListenerRun, destinationId: string, report: ReleaseReport): void {
  const info = { event: 'stopped', destination_id: destinationId, destination_deleted: report.destinationDeleted, webhook_released: report.webhookReleased };
  run.logger.info(info, 'listener stopped');
  if (run.settings.tail || !report.destinationDeleted) return;
  run.stdout.write(renderStructured(run.output, info, () => `Listener stopped. Deleted audit-log destination: ${destinationId}\n`));
}
