/** Runs the emulator in the foreground until SIGINT/SIGTERM. */
import { isRegion } from '../../konnect/regions.js';
import { startEmulator, type EmulatorOptions } from '../../emulator/index.js';
import { parseSeed } from '../../emulator/options.js';
import { UsageError } from '../errors.js';
import { parseListenAddress, parseNonNegativeInt, parsePositiveInt, parsePositiveNumber } from '../parse.js';
import type { EmulateFlags } from './emulate.js';

function portals(values: readonly string[] = []): NonNullable<EmulatorOptions['portals']> {
  return values.map((value) => {
    const [id, region] = value.split('@');
    if (!id) throw new UsageError(`--portal must be ID or ID@REGION, got "${value}"`, 'emulate');
    if (region !== undefined && !isRegion(region)) throw new UsageError(`--portal region must be one of us, eu, au, me, in, sg, got "${region}"`, 'emulate');
    return { id, ...(region ? { region } : {}) };
  });
}

/** Translates flags into emulator options (usage errors for bad values). */
export function emulatorOptions(flags: EmulateFlags): EmulatorOptions {
  const wrap = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (error) {
      if (error instanceof UsageError) throw new UsageError(error.message, 'emulate');
      throw error;
    }
  };
  return wrap(() => {
    const { host, port } = parseListenAddress(flags.listen);
    let seed: Buffer | undefined;
    if (flags.seed !== undefined) {
      try {
        seed = parseSeed(flags.seed);
      } catch (error) {
        throw new UsageError(`--seed: ${(error as Error).message}`);
      }
    }
    for (const token of [...(flags.token ?? []), ...(flags.readOnlyToken ?? [])]) {
      if (!/^\S+$/.test(token)) throw new UsageError('tokens must be non-empty and contain no spaces');
    }
    return {
      host,
      port,
      tokens: flags.token ?? [],
      readOnlyTokens: flags.readOnlyToken ?? [],
      ...(seed ? { seed } : {}),
      timeScale: parsePositiveNumber(flags.timeScale ?? '1', '--time-scale'),
      batchMax: parsePositiveInt(flags.batchMax ?? '1000', '--batch-max'),
      batchMaxBytes: parsePositiveInt(flags.batchMaxBytes ?? String(1024 * 1024), '--batch-max-bytes'),
      flushMs: parseNonNegativeInt(flags.flushMs ?? '1000', '--flush-ms'),
      attemptTimeoutMs: parsePositiveInt(flags.attemptTimeoutMs ?? '30000', '--attempt-timeout-ms'),
      retainMax: parsePositiveInt(flags.retainMax ?? '1000000', '--retain-max'),
      ...(flags.generatorThreads !== undefined ? { generatorThreads: parseNonNegativeInt(flags.generatorThreads, '--generator-threads') } : {}),
      portals: portals(flags.portal),
      suspendOnInactive: flags.suspendOnInactive ?? false,
      contentEncoding: flags.contentEncoding,
      cefVersionAsString: flags.cefVersionString ?? false,
      sign: flags.sign,
    };
  });
}

export async function runEmulate(flags: EmulateFlags): Promise<void> {
  const options = emulatorOptions(flags);
  const emulator = await startEmulator({
    ...options,
    ...(flags.logDeliveries
      ? {
          onAttempt: (a) =>
            process.stderr.write(
              `delivery ${a.scope}${a.replay ? ' (replay)' : ''} attempt ${a.attempt + 1}: ${a.records} records to ${a.endpoint} -> ${a.result.statusCode ?? 'no response'} ${a.result.message}\n`,
            ),
        }
      : {}),
  }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EADDRINUSE') throw new Error(`cannot listen on ${flags.listen}: address already in use`);
    if (error.code === 'EADDRNOTAVAIL') throw new Error(`cannot listen on ${flags.listen}: address not available on this machine`);
    throw error;
  });
  if (flags.output === 'json') {
    process.stdout.write(JSON.stringify({ base_url: emulator.baseUrl, token: emulator.token, portal_ids: emulator.inspect().portals.map((p) => p.id) }) + '\n');
  } else {
    process.stdout.write(`Konnect emulator listening on ${emulator.baseUrl} token ${emulator.token}\n`);
  }
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      process.stderr.write(`received ${signal}, stopping emulator\n`);
      emulator.stop().then(resolve, resolve);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}
