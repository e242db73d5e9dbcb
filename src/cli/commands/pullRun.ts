/** Runs `konnect-audit pull`. */
import { access } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { dataDirOf } from '../../config/paths.js';
import { closeJq, JqCompileError, RecordFilter } from '../../jq/recordFilter.js';
import { isTransientError, KonnectApiError, KonnectClient, KonnectConnectionError } from '../../konnect/client.js';
import { RETENTION_MS } from '../../konnect/replayJob.js';
import type { PullAuditLog, PullLogType } from '../../konnect/types.js';
import { parseJqArgs } from '../../listener/settings.js';
import { RateLimitedWarnings } from '../../listener/warnings.js';
import { EventPrinter, type EventsFormat, type PrintItem } from '../../query/printer.js';
import { eventRow } from '../../query/render.js';
import { PullFollower } from '../../pull/follower.js';
import { MAX_PAGE_SIZE, pullPages } from '../../pull/pager.js';
import { PullStore, StoreBusyError } from '../../pull/store.js';
import { Keyring } from '../../signatures/keyring.js';
import { profilePaths } from '../../store/paths.js';
import { VERSION } from '../../version.js';
import { connectionFor } from '../connection.js';
import { RuntimeError, UsageError } from '../errors.js';
import { stopSignal } from '../output/stopSignal.js';
import { parseDuration } from '../parse.js';
import { parseTimeRange } from '../timeRange.js';
import type { PullFlags } from './pull.js';

const COMMAND = 'pull';
const DEFAULT_SINCE_MS = 24 * 3_600_000;
const DEFAULT_POLL_INTERVAL = '10s';

/** The validated flags. */
export interface PullSettings {
  readonly startMs: number;
  /** Undefined: up to Konnect's now. */
  readonly endMs: number | undefined;
  readonly type?: PullLogType;
  readonly limit?: number;
  readonly pageSize: number;
  readonly follow: boolean;
  readonly pollIntervalMs: number;
  readonly jq?: { readonly expression: string; readonly raw: boolean; readonly args: Readonly<Record<string, string>> };
  readonly format: EventsFormat;
  readonly store: boolean;
  /** Records go to stdout (always without --store; with it only with --print). */
  readonly print: boolean;
  /** The start is older than Konnect keeps records. */
  readonly beyondRetention: boolean;
}

function invalid(value: string, flag: string, expected: string): UsageError {
  return new UsageError(`invalid argument "${value}" for "${flag}" flag: ${expected}`, COMMAND);
}

/** `--type`: the pull API's types, with `access` for `gateway_access` as `events --type` names it. */
export function pullType(value: string): PullLogType {
  const v = value.trim();
  if (v === 'authentication' || v === 'authorization' || v === 'gateway_access') return v;
  if (v === 'access') return 'gateway_access';
  throw invalid(value, '--type', 'expected authentication, authorization or access (also gateway_access), for example --type authorization');
}

function wholeNumber(value: string, flag: string, example: string): number {
  if (!/^\d+$/.test(value.trim())) throw invalid(value, flag, `expected a whole number (for example ${example})`);
  return Number(value);
}

/** Checks every flag before anything is asked of Konnect. */
export function pullSettings(flags: PullFlags, now: number): PullSettings {
  const follow = flags.follow ?? false;
  if (follow && (flags.until !== undefined || flags.endTime !== undefined)) {
    throw new UsageError('--follow reads up to now and then new records: it cannot be combined with --until/--end-time', COMMAND);
  }
  const { startMs, endMs } = parseTimeRange(flags, COMMAND, now, DEFAULT_SINCE_MS);
  const bounded = flags.until !== undefined || flags.endTime !== undefined;
  const pageSize = wholeNumber(flags.pageSize ?? String(MAX_PAGE_SIZE), '--page-size', '--page-size 100');
  if (pageSize < 1 || pageSize > MAX_PAGE_SIZE) throw invalid(flags.pageSize!, '--page-size', `Konnect returns 1 to ${MAX_PAGE_SIZE} records a page`);
  const limit = flags.limit === undefined ? undefined : wholeNumber(flags.limit, '--limit', '-n 100');
  if (flags.pollInterval !== undefined && !follow) throw new UsageError('--poll-interval only applies with --follow', COMMAND);
  const pollIntervalMs = parseDuration(flags.pollInterval ?? DEFAULT_POLL_INTERVAL, '--poll-interval');
  if (pollIntervalMs < 1) throw invalid(flags.pollInterval!, '--poll-interval', 'expected a duration above zero (for example 10s)');

  const hasJq = flags.jq !== undefined && flags.jq.trim() !== '';
  if (flags.jqRaw && !hasJq) throw new UsageError('--jq-raw requires --jq (for example --jq .uri -r)', COMMAND);
  if ((flags.jqArg?.length ?? 0) > 0 && !hasJq) throw new UsageError("--jq-arg requires --jq (for example --jq 'select(.principal_id == $p)' --jq-arg p ID)", COMMAND);
  const format = (flags.output ?? 'jsonl') as EventsFormat;
  if (hasJq && format !== 'jsonl') throw new UsageError(`--jq prints jq's own results: it cannot be combined with -o ${format}`, COMMAND);
  const store = flags.store ?? false;
  if (flags.print && !store) throw new UsageError('--print only applies with --store (without --store, records are always printed)', COMMAND);
  if (store && !flags.print && (hasJq || flags.output !== undefined)) {
    throw new UsageError(`--store prints nothing on stdout: add --print to print the records ${hasJq ? 'through --jq' : `as -o ${format}`} as well`, COMMAND);
  }
  if (flags.dataDir !== undefined && !store) throw new UsageError('--data-dir only applies with --store', COMMAND);
  return {
    startMs,
    endMs: bounded ? endMs : undefined,
    type: flags.type === undefined ? undefined : pullType(flags.type),
    limit,
    pageSize,
    follow,
    pollIntervalMs,
    jq: hasJq ? { expression: flags.jq!, raw: flags.jqRaw ?? false, args: parseJqArgs(flags.jqArg) } : undefined,
    format,
    store,
    print: !store || (flags.print ?? false),
    beyondRetention: startMs < now - RETENTION_MS,
  };
}

/** Konnect's refusals in words that say what to do. */
function konnectError(error: unknown): unknown {
  if (error instanceof KonnectApiError) {
    if (error.status === 401) return new RuntimeError(`Konnect refused the token (401 Unauthorized) for GET /v3/audit-logs: check --pat, KONNECT_TOKEN or the profile's konnect.pat (${error.message})`);
    if (error.status === 403) return new RuntimeError(`the token may not read audit logs (403 Forbidden): use a token of an organization admin (${error.message})`);
    return new RuntimeError(error.message);
  }
  if (error instanceof KonnectConnectionError) return new RuntimeError(error.message);
  return error;
}

/** Turns pulled records into what to print: jq's lines, or the format's items. */
async function printItems(records: readonly PullAuditLog[], lines: readonly string[], format: EventsFormat, filter: RecordFilter | undefined, warnings: RateLimitedWarnings): Promise<PrintItem[]> {
  if (filter) {
    const items: PrintItem[] = [];
    for (const result of await filter.apply(lines)) {
      if (result instanceof Error) warnings.warn(`warning: skipping a record jq failed on (filter ${JSON.stringify(filter.expression)}): ${result.message}`);
      else if (result.length > 0) items.push(result.join('\n') + '\n');
    }
    return items;
  }
  switch (format) {
    case 'jsonl':
      return lines.map((line) => line + '\n');
    case 'json':
      return [...lines];
    default:
      return records.map((record) => eventRow(record as unknown as Record<string, unknown>));
  }
}

/** Saves the region's keys beside the events when none are saved, so verify works offline; a failure only warns. */
async function saveKeys(client: KonnectClient, jwksFile: string): Promise<void> {
  if (await access(jwksFile).then(() => true, () => false)) return;
  try {
    await new Keyring({ fetch: () => client.getJwks(), cacheFile: jwksFile }).keys();
  } catch (error) {
    process.stderr.write(`warning: could not save the region's signing keys to ${jwksFile} (verify will fetch them): ${(error as Error).message}\n`);
  }
}

export async function runPull(flags: PullFlags): Promise<void> {
  const now = Date.now();
  const settings = pullSettings(flags, now);
  const connection = await connectionFor(flags);
  const client = new KonnectClient({ baseUrl: connection.baseUrl, globalBaseUrl: connection.globalBaseUrl, token: connection.token, userAgent: `konnect-audit/${VERSION}` });
  if (settings.beyondRetention) {
    process.stderr.write(`warning: Konnect keeps audit logs for 7 days: nothing older than ${new Date(now - RETENTION_MS).toISOString()} will come back\n`);
  }

  let filter: RecordFilter | undefined;
  if (settings.jq && settings.print) {
    try {
      filter = await RecordFilter.compile({ expression: settings.jq.expression, args: settings.jq.args, raw: settings.jq.raw });
    } catch (error) {
      await closeJq();
      if (error instanceof JqCompileError) throw new UsageError(`invalid jq expression: ${error.message}`, COMMAND);
      throw error;
    }
  }

  const warnings = new RateLimitedWarnings((line) => process.stderr.write(line));
  let store: PullStore | undefined;
  let paths: ReturnType<typeof profilePaths> | undefined;
  if (settings.store) {
    paths = profilePaths(dataDirOf(flags.dataDir, connection.profileSettings['data-dir']), connection.profile);
    try {
      store = await PullStore.open(paths, { fromMs: settings.startMs, toMs: settings.endMs ?? Infinity }, (message) => warnings.warn(message));
    } catch (error) {
      await closeJq();
      if (error instanceof StoreBusyError) throw new RuntimeError(error.message);
      throw error;
    }
  }

  const stop = stopSignal();
  const printer = new EventPrinter(settings.format, settings.follow);
  let pulled = 0;
  const write = stop.write;
  /** Stores and prints a batch (cut at --limit); false once the limit is reached. */
  const emit = async (batch: readonly PullAuditLog[]): Promise<boolean> => {
    const records = settings.limit === undefined ? batch : batch.slice(0, settings.limit - pulled);
    pulled += records.length;
    if (records.length > 0) {
      const lines = records.map((record) => JSON.stringify(record));
      if (store) await store.add(records.map((record, i) => ({ record: record as unknown as Record<string, unknown>, line: lines[i]! })));
      if (settings.print) await write(printer.print(await printItems(records, lines, settings.format, filter, warnings)));
    }
    return settings.limit === undefined || pulled < settings.limit;
  };

  const follower = new PullFollower(client, { type: settings.type, pageSize: settings.pageSize, startMs: settings.startMs });
  try {
    let more = settings.limit !== 0;
    if (more) {
      const range = {
        gte: new Date(settings.startMs).toISOString(),
        lte: settings.endMs === undefined ? undefined : new Date(settings.endMs).toISOString(),
        type: settings.type,
        pageSize: settings.pageSize,
      };
      try {
        for await (const page of pullPages(client, range, stop.signal)) {
          if (settings.follow) follower.note(page);
          more = await emit(page);
          if (!more || stop.signal.aborted) break;
        }
      } catch (error) {
        if (!stop.signal.aborted) throw konnectError(error); // else: stopped mid-request, quietly
      }
    }
    while (settings.follow && more && !stop.signal.aborted) {
      try {
        await sleep(settings.pollIntervalMs, undefined, { signal: stop.signal });
      } catch {
        break;
      }
      try {
        for await (const fresh of follower.poll(stop.signal)) {
          more = await emit(fresh);
          if (!more || stop.signal.aborted) break;
        }
      } catch (error) {
        if (stop.signal.aborted) break;
        // The client already retried; a passing outage only costs a warning, the next poll catches up.
        if (!isTransientError(error)) throw konnectError(error);
        warnings.warn(`warning: polling Konnect failed, trying again in ${settings.pollIntervalMs} ms: ${(error as Error).message}`);
      }
    }
    if (settings.print) await write(printer.finish());
  } finally {
    stop.dispose();
    await closeJq();
    if (store) {
      await store.close();
      const asWebhook = store.sameEvents > 0 ? `, ${store.sameEvents} of them as received by the listener` : '';
      process.stderr.write(`stored ${store.stored} new record${store.stored === 1 ? '' : 's'} in ${store.file} (${store.duplicates} already stored${asWebhook})\n`);
    }
  }
  if (store && paths) await saveKeys(client, paths.jwksFile);
}
