/**
 * Validating `listen`/`tail` flags into listener settings, with kongctl's rules and exact error
 * texts (reference §1). Pure: no I/O, so every rule is a unit test.
 */
import { UsageError } from '../cli/errors.js';
import { parseDuration, parseListenAddress, parseSize } from '../cli/parse.js';
import { LOG_FORMATS, type LogFormat } from '../records/render.js';
import { defaultDestinationName } from './hostName.js';
import { VERIFY_MODES, type VerifyMode } from './verification.js';

export const DEFAULT_PATH = '/audit-logs';
export const DEFAULT_LISTEN_ADDRESS = '127.0.0.1:19090';
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
/** kongctl's header read timeout. */
export const DEFAULT_HEADER_TIMEOUT = '10s';
/** Whole request, body included: a 1 MiB batch over a slow link fits easily. */
export const DEFAULT_REQUEST_TIMEOUT = '30s';
export const DEFAULT_ROTATE_SIZE = '128MiB';
/** `--backfill`: request a replay of the gap at start (auto), only say what is missing (off), or ask on the terminal (ask). */
export const BACKFILL_MODES = ['auto', 'off', 'ask'] as const;
export type BackfillMode = (typeof BACKFILL_MODES)[number];
export const DEFAULT_BACKFILL: BackfillMode = 'auto';

/** Raw flag values as the command line gives them. */
export interface ListenFlags {
  readonly endpoint?: string;
  readonly publicUrl?: string;
  readonly path?: string;
  readonly listenAddress?: string;
  readonly maxBodyBytes?: string;
  readonly name?: string;
  readonly logFormat?: string;
  readonly skipSslVerification?: boolean;
  readonly authorization?: string;
  readonly configureWebhook?: boolean;
  readonly tail?: boolean;
  readonly jq?: string;
  readonly jqRaw?: boolean;
  /** `name=value` pairs from `--jq-arg name value`. */
  readonly jqArg?: readonly string[];
  readonly headerTimeout?: string;
  readonly requestTimeout?: string;
  readonly verify?: string;
  readonly keepDuplicates?: boolean;
  readonly rotateSize?: string;
  readonly rotateInterval?: string;
  readonly retain?: string;
  readonly retainSize?: string;
  readonly backfill?: string;
}

/** Validated settings. */
export interface ListenerSettings {
  /** The URL Konnect posts to. */
  readonly endpoint: string;
  readonly publicUrl: string | undefined;
  readonly path: string;
  readonly listenAddress: string;
  readonly host: string;
  readonly port: number;
  readonly maxBodyBytes: number;
  readonly name: string;
  readonly logFormat: LogFormat;
  readonly skipSslVerification: boolean;
  readonly authorization: string;
  readonly configureWebhook: boolean;
  readonly tail: boolean;
  readonly jq: string | undefined;
  readonly jqRaw: boolean;
  readonly jqArgs: Readonly<Record<string, string>>;
  /** Time a client has to send its request headers (slowloris guard). */
  readonly headerTimeoutMs: number;
  /** Time a client has to send its whole request. */
  readonly requestTimeoutMs: number;
  /** Signature checks: off, warn (store all, report failures) or enforce (failures to quarantine). */
  readonly verify: VerifyMode;
  /** Store records already stored (off by default: a retried or replayed record is stored once). */
  readonly keepDuplicates: boolean;
  /** events.jsonl becomes a segment once this big. */
  readonly rotateBytes: number;
  /** ... or once its first record is this old (none: size only). */
  readonly rotateIntervalMs: number | undefined;
  /** Segments older than this are deleted (none: kept). */
  readonly retainMs: number | undefined;
  /** Oldest segments are deleted while all are larger than this (none: no limit). */
  readonly retainBytes: number | undefined;
  /** Gap back-fill at start: a replay job for what was missed while no listener ran. */
  readonly backfill: BackfillMode;
}

const JQ_VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `--jq-arg` pairs as jq variables; names must be identifiers. */
export function parseJqArgs(pairs: readonly string[] | undefined): Record<string, string> {
  const args: Record<string, string> = {};
  for (const pair of pairs ?? []) {
    const at = pair.indexOf('=');
    const name = at < 0 ? pair : pair.slice(0, at);
    if (at < 0 || !JQ_VARIABLE.test(name)) throw new UsageError(`--jq-arg takes a name and a value (--jq-arg name value), got "${pair}"`);
    args[name] = pair.slice(at + 1);
  }
  return args;
}

/** `--path`: trimmed, empty means the default, a leading `/` added. */
export function normalizePath(path: string | undefined): string {
  const trimmed = (path ?? '').trim();
  if (trimmed === '') return DEFAULT_PATH;
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

/** The endpoint from `--endpoint`, else `--public-url` + `--path` (query and fragment dropped). */
export function resolveEndpoint(endpoint: string | undefined, publicUrl: string | undefined, path: string): string {
  const explicit = endpoint?.trim() ?? '';
  if (explicit !== '') {
    try {
      new URL(explicit);
    } catch (error) {
      throw new UsageError(`endpoint must be a valid URL: ${(error as Error).message}`);
    }
    return explicit;
  }
  const base = publicUrl?.trim() ?? '';
  if (base === '') throw new UsageError('provide either --endpoint or --public-url');
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new UsageError('public URL must include scheme and host');
  }
  if (!url.protocol || !url.host) throw new UsageError('public URL must include scheme and host');
  url.search = '';
  url.hash = '';
  return url.toString().replace(/\/+$/, '') + path;
}

/** Validates flags in kongctl's order; throws UsageError with kongctl's texts. */
export function validateListenFlags(flags: ListenFlags): ListenerSettings {
  if (flags.authorization === undefined) throw new UsageError('required flag(s) "authorization" not set');
  const tail = flags.tail ?? false;
  if (flags.jq !== undefined && flags.jq.trim() !== '' && !tail) throw new UsageError('--jq requires --tail');
  const hasJq = flags.jq !== undefined && flags.jq.trim() !== '';
  if (flags.jqRaw && !hasJq) throw new UsageError('--jq-raw requires --jq');
  if ((flags.jqArg?.length ?? 0) > 0 && !hasJq) throw new UsageError('--jq-arg requires --jq');
  const jqArgs = parseJqArgs(flags.jqArg);
  if (flags.authorization.trim() === '') throw new UsageError('--authorization must not be empty');
  const path = normalizePath(flags.path);
  const endpoint = resolveEndpoint(flags.endpoint, flags.publicUrl, path);
  const listenAddress = (flags.listenAddress ?? DEFAULT_LISTEN_ADDRESS).trim();
  if (listenAddress === '') throw new UsageError('listen address cannot be empty');
  const { host, port } = parseListenAddress(listenAddress, '--listen-address');
  const rawMax = (flags.maxBodyBytes ?? String(DEFAULT_MAX_BODY_BYTES)).trim();
  if (!/^-?\d+$/.test(rawMax)) throw new UsageError(`invalid argument "${rawMax}" for "--max-body-bytes" flag: must be an integer`);
  const maxBodyBytes = Number(rawMax);
  if (maxBodyBytes <= 0) throw new UsageError('max-body-bytes must be greater than zero');
  const rawFormat = (flags.logFormat ?? 'json').trim();
  const logFormat = rawFormat.toLowerCase();
  if (!(LOG_FORMATS as readonly string[]).includes(logFormat)) {
    throw new UsageError(`invalid log-format "${rawFormat}", allowed values are: ${LOG_FORMATS.join(', ')}`);
  }
  const headerTimeoutMs = positiveDuration(flags.headerTimeout ?? DEFAULT_HEADER_TIMEOUT, '--header-timeout');
  const requestTimeoutMs = positiveDuration(flags.requestTimeout ?? DEFAULT_REQUEST_TIMEOUT, '--request-timeout');
  if (requestTimeoutMs < headerTimeoutMs) throw new UsageError('--request-timeout must not be shorter than --header-timeout');
  const verify = (flags.verify ?? 'warn').trim().toLowerCase();
  if (!(VERIFY_MODES as readonly string[]).includes(verify)) throw new UsageError(`invalid --verify "${flags.verify}", allowed values are: ${VERIFY_MODES.join(', ')}`);
  const backfill = (flags.backfill ?? DEFAULT_BACKFILL).trim().toLowerCase();
  if (!(BACKFILL_MODES as readonly string[]).includes(backfill)) throw new UsageError(`invalid --backfill "${flags.backfill}", allowed values are: ${BACKFILL_MODES.join(', ')}`);
  const name = flags.name?.trim() || defaultDestinationName();
  return {
    endpoint,
    publicUrl: flags.endpoint?.trim() ? undefined : flags.publicUrl?.trim(),
    path,
    listenAddress,
    host,
    port,
    maxBodyBytes,
    name,
    logFormat: logFormat as LogFormat,
    skipSslVerification: flags.skipSslVerification ?? false,
    authorization: flags.authorization,
    configureWebhook: flags.configureWebhook ?? true,
    tail,
    jq: hasJq ? flags.jq : undefined,
    jqRaw: flags.jqRaw ?? false,
    jqArgs,
    headerTimeoutMs,
    requestTimeoutMs,
    verify: verify as VerifyMode,
    keepDuplicates: flags.keepDuplicates ?? false,
    rotateBytes: positiveSize(flags.rotateSize ?? DEFAULT_ROTATE_SIZE, '--rotate-size'),
    rotateIntervalMs: flags.rotateInterval === undefined ? undefined : positiveDuration(flags.rotateInterval, '--rotate-interval'),
    retainMs: flags.retain === undefined ? undefined : positiveDuration(flags.retain, '--retain'),
    retainBytes: flags.retainSize === undefined ? undefined : positiveSize(flags.retainSize, '--retain-size'),
    backfill: backfill as BackfillMode,
  };
}

/** Where the listener runs: `--backfill ask` needs a terminal to ask on. */
export interface ListenerTerminal {
  readonly detach: boolean;
  readonly stdinIsTty: boolean;
  readonly stderrIsTty: boolean;
}

/**
 * Refuses `--backfill ask` where nobody can answer: a detached listener, or stdin or stderr not a
 * terminal (piped, a service). Throws UsageError.
 * @example assertBackfillAskable('ask', { detach: false, stdinIsTty: process.stdin.isTTY === true, stderrIsTty: process.stderr.isTTY === true })
 */
export function assertBackfillAskable(mode: BackfillMode, terminal: ListenerTerminal): void {
  if (mode !== 'ask') return;
  const why = terminal.detach ? 'a detached listener has no terminal' : !terminal.stdinIsTty ? 'stdin is not a terminal' : !terminal.stderrIsTty ? 'stderr is not a terminal' : undefined;
  if (why) throw new UsageError(`--backfill ask needs a terminal to ask on (${why}); use --backfill auto or --backfill off`);
}

function positiveSize(value: string, flag: string): number {
  const bytes = parseSize(value, flag);
  if (bytes <= 0) throw new UsageError(`${flag} must be greater than zero`);
  return bytes;
}

function positiveDuration(value: string, flag: string): number {
  const ms = parseDuration(value, flag);
  if (ms <= 0) throw new UsageError(`${flag} must be greater than zero`);
  return ms;
}
