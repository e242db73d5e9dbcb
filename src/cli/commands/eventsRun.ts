/** Runs `konnect-audit events`. */
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { dataDirOf } from '../../config/paths.js';
import { profileName } from '../../config/profile.js';
import { closeJq, JqCompileError, RecordFilter } from '../../jq/recordFilter.js';
import { parseJqArgs } from '../../listener/settings.js';
import { RateLimitedWarnings } from '../../listener/warnings.js';
import { hasConditions, matchesQuery, type AuditObject, type EventQuery } from '../../query/filter.js';
import { EventPrinter, type PrintItem } from '../../query/printer.js';
import { eventRow } from '../../query/render.js';
import { parseTimeFlag } from '../../query/time.js';
import { recordToJson } from '../../records/parse.js';
import { FileFollower } from '../../store/follow.js';
import { profilePaths } from '../../store/paths.js';
import { ACTIVE_EVENTS_FILE, readLineBatches, storedEventFiles, type Line } from '../../store/read.js';
import { segmentMayHoldSince } from '../../store/segments.js';
import { connectionFor } from '../connection.js';
import { RuntimeError, UsageError } from '../errors.js';
import { stopSignal } from '../output/stopSignal.js';
import type { EventsFlags } from './events.js';

/** How often --follow looks for new records. */
const FOLLOW_INTERVAL_MS = 250;
// Reading the config file for its data-dir needs no token.
const NO_TOKEN = 'unused-events-needs-no-token';

/** The validated flags. */
interface EventsSettings {
  readonly query: EventQuery;
  readonly jq?: { readonly expression: string; readonly raw: boolean; readonly args: Readonly<Record<string, string>> };
  readonly limit?: number;
  readonly follow: boolean;
  readonly format: NonNullable<EventsFlags['output']>;
}

export function eventsSettings(flags: EventsFlags, now: number): EventsSettings {
  const since = flags.since === undefined ? undefined : parseTimeFlag(flags.since, '--since', now);
  const until = flags.until === undefined ? undefined : parseTimeFlag(flags.until, '--until', now);
  const hasJq = flags.jq !== undefined && flags.jq.trim() !== '';
  if (flags.jqRaw && !hasJq) throw new UsageError('--jq-raw requires --jq (for example --jq .name -r)', 'events');
  if ((flags.jqArg?.length ?? 0) > 0 && !hasJq) throw new UsageError('--jq-arg requires --jq (for example --jq \'select(.principal_id == $p)\' --jq-arg p ID)', 'events');
  const format = flags.output ?? 'jsonl';
  if (hasJq && format !== 'jsonl') throw new UsageError(`--jq prints jq's own results: it cannot be combined with -o ${format} (for example --jq '{ts:.event_ts, name}' with the default -o jsonl)`, 'events');
  return {
    query: { since, until, type: flags.type, principal: flags.principal, granted: flags.granted },
    jq: hasJq ? { expression: flags.jq!, raw: flags.jqRaw ?? false, args: parseJqArgs(flags.jqArg) } : undefined,
    limit: flags.limit,
    follow: flags.follow ?? false,
    format,
  };
}

/** A progress line on stderr about once a second, for a terminal only. */
function startProgress(): { update: (files: number, scanned: number) => void; stop: () => void } {
  if (!process.stderr.isTTY) return { update: () => {}, stop: () => {} };
  const started = performance.now();
  let files = 0;
  let scanned = 0;
  let shown = false;
  const timer = setInterval(() => {
    const seconds = (performance.now() - started) / 1000;
    shown = true;
    process.stderr.write(`\r\x1b[Kevents: ${files} file${files === 1 ? '' : 's'}, ${scanned.toLocaleString('en-US')} records scanned, ${Math.round(scanned / seconds).toLocaleString('en-US')}/s`);
  }, 1000);
  timer.unref();
  return {
    update: (f, n) => {
      files = f;
      scanned = n;
    },
    stop: () => {
      clearInterval(timer);
      if (shown) process.stderr.write('\r\x1b[K');
      shown = false;
    },
  };
}

async function dataDirFor(flags: EventsFlags): Promise<string> {
  if (flags.dataDir !== undefined) return flags.dataDir;
  const connection = await connectionFor({ profile: flags.profile, configFile: flags.configFile, pat: NO_TOKEN });
  return dataDirOf(undefined, connection.profileSettings['data-dir']);
}

/** Turns batches of stored lines into what to print: filters, then jq or the format's item. */
class Selector {
  private readonly parse: boolean;
  private readonly conditions: boolean;
  private readonly warnings = new RateLimitedWarnings((line) => process.stderr.write(line));

  constructor(
    private readonly settings: EventsSettings,
    private readonly filter: RecordFilter | undefined,
  ) {
    this.conditions = hasConditions(settings.query);
    this.parse = this.conditions || settings.format !== 'jsonl';
  }

  /** Each kept record's item, in order. */
  async select(file: string, lines: readonly Line[]): Promise<PrintItem[]> {
    const kept: Line[] = [];
    const items: PrintItem[] = [];
    const format = this.settings.format;
    for (const line of lines) {
      if (!this.parse) {
        kept.push(line);
        continue;
      }
      let json: string;
      let record: AuditObject | undefined;
      try {
        json = recordToJson(line.text);
        if (this.conditions || format === 'text' || format === 'table') record = JSON.parse(json) as AuditObject;
      } catch (error) {
        this.warnings.warn(`warning: skipping a record that cannot be read (${basename(file)} line ${line.number}): ${(error as Error).message}`);
        continue;
      }
      if (this.conditions && !matchesQuery(this.settings.query, record!)) continue;
      if (this.filter) kept.push(line);
      else if (format === 'json') items.push(json);
      else if (format === 'text' || format === 'table') items.push(eventRow(record!));
      else kept.push(line);
    }
    if (!this.filter) {
      for (const line of kept) items.push(line.bytes);
      return items;
    }
    if (kept.length === 0) return items;
    const results = await this.filter.apply(kept.map((l) => l.text));
    for (const result of results) {
      if (result instanceof Error) {
        this.warnings.warn(`warning: skipping non-JSON or invalid jq record for filter ${JSON.stringify(this.filter.expression)}: ${result.message}`);
        continue;
      }
      // -r prints nothing for no result: such a record is not counted by --limit.
      if (result.length > 0) items.push(result.join('\n') + '\n');
    }
    return items;
  }
}

export async function runEvents(flags: EventsFlags): Promise<void> {
  const settings = eventsSettings(flags, Date.now());
  const profile = profileName(flags.profile);
  const paths = profilePaths(await dataDirFor({ ...flags, profile }), profile);

  let files: string[];
  try {
    files = await storedEventFiles(paths.dir);
  } catch (error) {
    throw new RuntimeError(`cannot read ${paths.dir}: ${(error as Error).message}`);
  }
  if (files.length === 0) {
    const exists = await stat(paths.dir).then((s) => s.isDirectory(), () => false);
    // --follow on a profile whose listener has not stored anything yet waits for its first record.
    if (!settings.follow || !exists) {
      throw new RuntimeError(`no stored events for profile "${profile}": ${paths.dir} holds no ${ACTIVE_EVENTS_FILE} (check --profile and --data-dir)`);
    }
  }
  // --follow reads the active file through the follower, from its start, so nothing falls between.
  let segments = files.filter((f) => !(settings.follow && basename(f) === ACTIVE_EVENTS_FILE));
  const since = settings.query.since;
  if (since !== undefined) segments = segments.filter((f) => basename(f) === ACTIVE_EVENTS_FILE || segmentMayHoldSince(f, since));

  let filter: RecordFilter | undefined;
  if (settings.jq) {
    try {
      filter = await RecordFilter.compile({ expression: settings.jq.expression, args: settings.jq.args, raw: settings.jq.raw });
    } catch (error) {
      await closeJq();
      if (error instanceof JqCompileError) throw new UsageError(`invalid jq expression: ${error.message}`, 'events');
      throw error;
    }
  }

  const stop = stopSignal();
  const progress = startProgress();
  const selector = new Selector(settings, filter);
  const printer = new EventPrinter(settings.format, settings.follow);
  const limit = settings.limit;
  // With --follow, -n keeps the last N stored records (tail -n N -f); without, it stops after N.
  const ring: PrintItem[] | undefined = settings.follow && limit !== undefined ? [] : undefined;
  let printed = 0;
  let scanned = 0;
  let opened = 0;

  const write = stop.write;
  /** Prints (or, while filling the ring, keeps) a batch; false once --limit is reached. */
  const emit = async (items: PrintItem[]): Promise<boolean> => {
    if (ring) {
      ring.push(...items);
      if (ring.length > limit!) ring.splice(0, ring.length - limit!);
      return true;
    }
    if (limit !== undefined && printed + items.length >= limit) {
      await write(printer.print(items.slice(0, limit - printed)));
      printed = limit;
      return false;
    }
    printed += items.length;
    await write(printer.print(items));
    return true;
  };
  const flushRing = async (): Promise<void> => {
    if (!ring || ring.length === 0) return;
    await write(printer.print(ring.splice(0)));
  };

  let follower: FileFollower | undefined;
  try {
    let more = limit !== 0 || ring !== undefined;
    for (const file of segments) {
      if (!more || stop.signal.aborted) break;
      opened++;
      try {
        for await (const batch of readLineBatches(file)) {
          scanned += batch.length;
          progress.update(opened, scanned);
          more = await emit(await selector.select(file, batch));
          if (!more || stop.signal.aborted) break;
        }
      } catch (error) {
        // File and gzip errors name the file; anything else (jq's thread) is not about it.
        if (typeof (error as NodeJS.ErrnoException).code !== 'string') throw error;
        throw new RuntimeError(`cannot read ${file}: ${readError(error)}`);
      }
    }
    if (settings.follow && !stop.signal.aborted) {
      follower = new FileFollower(paths.eventsFile);
      opened++;
      // The active file as it is now is still stored history: it fills the -n ring too.
      await follow(follower, async (batch) => {
        scanned += batch.length;
        progress.update(opened, scanned);
        await emit(await selector.select(paths.eventsFile, batch));
      });
      progress.stop();
      await flushRing();
      while (!stop.signal.aborted) {
        try {
          await sleep(FOLLOW_INTERVAL_MS, undefined, { signal: stop.signal });
        } catch {
          break;
        }
        await follow(follower, async (batch) => {
          await write(printer.print(await selector.select(paths.eventsFile, batch)));
        });
      }
    }
    await write(printer.finish());
  } finally {
    progress.stop();
    stop.dispose();
    await follower?.close();
    await closeJq();
  }
}

async function follow(follower: FileFollower, each: (batch: Line[]) => Promise<void>): Promise<void> {
  let batches: Line[][];
  try {
    batches = await follower.poll();
  } catch (error) {
    throw new RuntimeError(`cannot read ${follower.path}: ${readError(error)}`);
  }
  for (const batch of batches) await each(batch);
}

function readError(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  if (e.code === 'ENOENT') return 'no such file';
  if (e.code === 'EACCES') return 'permission denied';
  if (e.code?.startsWith('Z_')) return `not a readable gzip file (${e.message})`;
  return e.message ?? String(error);
}
