/** Runs `konnect-audit verify`. */
import type { KeyObject } from 'node:crypto';
import type { Connection } from '../../config/resolve.js';
import { defaultDataDir } from '../../config/paths.js';
import { profileName } from '../../config/profile.js';
import { KonnectClient } from '../../konnect/client.js';
import { importJwks, type Jwks } from '../../records/signing.js';
import { parseJwks, readJwksFile } from '../../signatures/keyring.js';
import { checkReadable, verifyFiles, VerifyFileError, type VerifyReport } from '../../signatures/verifyFiles.js';
import { profilePaths, type ProfilePaths } from '../../store/paths.js';
import { ACTIVE_EVENTS_FILE, storedEventFiles } from '../../store/read.js';
import { VERSION } from '../../version.js';
import { connectionFor } from '../connection.js';
import { RuntimeError } from '../errors.js';
import { renderStructured, type OutputFormat } from '../output/structured.js';
import type { VerifyFlags } from './verify.js';

/** Where the keys came from: `--jwks`, the listener's saved copy, or Konnect. */
interface Keys {
  readonly source: 'jwks-file' | 'saved' | 'konnect';
  readonly location: string;
  readonly keys: KeyObject[];
}

const JWKS_PATH = '/v2/audit-log-webhook/jwks.json';
// The JWKS endpoint is public: a stand-in token spares resolving one (and failing when there is none).
const NO_TOKEN = 'unused-the-jwks-needs-no-token';

/** The profile's stored events: rotated segments oldest first by name, then the active file. */
async function profileEventFiles(paths: ProfilePaths, profile: string): Promise<string[]> {
  let files: string[];
  try {
    files = await storedEventFiles(paths.dir);
  } catch (error) {
    throw new RuntimeError(`cannot read ${paths.dir}: ${(error as Error).message}`);
  }
  if (files.length === 0) {
    throw new RuntimeError(`no stored events for profile "${profile}": ${paths.dir} holds no ${ACTIVE_EVENTS_FILE} (give FILE arguments, or --data-dir / --profile)`);
  }
  return files;
}

async function readKeysFile(file: string, what: string): Promise<Jwks | undefined> {
  try {
    return await readJwksFile(file);
  } catch (error) {
    throw new RuntimeError(`cannot read the ${what} ${file}: ${(error as Error).message}`);
  }
}

async function fetchKeys(connection: Connection): Promise<Keys> {
  const url = connection.baseUrl + JWKS_PATH;
  const client = new KonnectClient({ baseUrl: connection.baseUrl, token: NO_TOKEN, userAgent: `konnect-audit/${VERSION}` });
  let jwks: Jwks;
  try {
    jwks = parseJwks(await client.getJwks(), `the JWKS from ${url}`);
  } catch (error) {
    throw new RuntimeError(`cannot get the signing keys from ${url}: ${(error as Error).message} (give --jwks FILE to verify offline)`);
  }
  return { source: 'konnect', location: url, keys: importJwks(jwks) };
}

function keysText(keys: Keys): string {
  switch (keys.source) {
    case 'jwks-file':
      return `--jwks ${keys.location}`;
    case 'saved':
      return `saved copy ${keys.location}`;
    case 'konnect':
      return `fetched from ${keys.location}`;
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function renderText(report: VerifyReport, keys: Keys, maxFailures: number): string {
  const out = report.failures.map((f) => `${f.file}:${f.line}: ${f.result === 'invalid' ? 'invalid signature' : 'unsigned'}`);
  if (report.failuresOmitted > 0) out.push(`... ${plural(report.failuresOmitted, 'more failure')} not listed (--max-failures ${maxFailures})`);
  const t = report.total;
  out.push(`${plural(t.records, 'record')} in ${plural(report.files.length, 'file')}: ${t.valid} valid, ${t.invalid} invalid, ${t.unsigned} unsigned (keys: ${keysText(keys)})`);
  return out.join('\n') + '\n';
}

/** A progress line on stderr about once a second, for a terminal only. */
function startProgress(): { update: (checked: number) => void; stop: () => void } {
  if (!process.stderr.isTTY) return { update: () => {}, stop: () => {} };
  const started = performance.now();
  let checked = 0;
  const timer = setInterval(() => {
    const seconds = (performance.now() - started) / 1000;
    process.stderr.write(`\r\x1b[Kverifying: ${checked.toLocaleString('en-US')} records, ${Math.round(checked / seconds).toLocaleString('en-US')}/s`);
  }, 1000);
  timer.unref();
  return {
    update: (n) => (checked = n),
    stop: () => {
      clearInterval(timer);
      if (checked > 0 && performance.now() - started >= 1000) process.stderr.write('\r\x1b[K');
    },
  };
}

export async function runVerify(files: readonly string[], flags: VerifyFlags): Promise<void> {
  const profile = profileName(flags.profile);
  const maxFailures = flags.maxFailures ?? 100;
  // Konnect settings (data-dir in the config file, base URL) are read only when needed.
  let connection: Promise<Connection> | undefined;
  const connect = (): Promise<Connection> => (connection ??= connectionFor({ ...flags, profile, pat: flags.pat ?? NO_TOKEN }));
  let paths: ProfilePaths | undefined;
  const profileFiles = async (): Promise<ProfilePaths> => {
    if (paths) return paths;
    const configured = flags.dataDir === undefined ? (await connect()).profileSettings['data-dir'] : undefined;
    paths = profilePaths(flags.dataDir ?? (typeof configured === 'string' ? configured : undefined) ?? defaultDataDir(), profile);
    return paths;
  };

  const targets = files.length > 0 ? [...files] : await profileEventFiles(await profileFiles(), profile);
  try {
    await checkReadable(targets);
  } catch (error) {
    throw new RuntimeError(`cannot read ${(error as Error).message}`);
  }

  let keys: Keys;
  if (flags.jwks !== undefined) {
    const jwks = await readKeysFile(flags.jwks, '--jwks file');
    if (!jwks) throw new RuntimeError(`cannot read the --jwks file ${flags.jwks}: no such file`);
    keys = { source: 'jwks-file', location: flags.jwks, keys: importJwks(jwks) };
  } else {
    const saved = (await profileFiles()).jwksFile;
    const jwks = await readKeysFile(saved, 'saved JWKS');
    // One fetch per run, no refresh: a record that fails with Konnect's current keys fails.
    keys = jwks ? { source: 'saved', location: saved, keys: importJwks(jwks) } : await fetchKeys(await connect());
  }

  const progress = startProgress();
  let report: VerifyReport;
  try {
    report = await verifyFiles(targets, { keys: keys.keys, maxFailures, listUnsigned: !flags.allowUnsigned, onProgress: progress.update });
  } catch (error) {
    if (error instanceof VerifyFileError) throw new RuntimeError(`cannot read ${error.message}`);
    throw error;
  } finally {
    progress.stop();
  }

  const t = report.total;
  const ok = t.invalid === 0 && (flags.allowUnsigned === true || t.unsigned === 0);
  const result = {
    ok,
    records: t.records,
    valid: t.valid,
    invalid: t.invalid,
    unsigned: t.unsigned,
    keys: { source: keys.source, location: keys.location, count: keys.keys.length },
    files: report.files.map((f) => ({ file: f.file, records: f.records, valid: f.valid, invalid: f.invalid, unsigned: f.unsigned })),
    failures: report.failures.map((f) => ({ file: f.file, line: f.line, result: f.result })),
    failures_omitted: report.failuresOmitted,
  };
  // `verify | head`: a reader that stops early is not an error of ours.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
  process.stdout.write(renderStructured((flags.output ?? 'text') as OutputFormat, result, () => renderText(report, keys, maxFailures)));
  if (t.invalid > 0 && keys.source === 'saved') {
    // Records signed after a key rotation fail against keys saved before it; Konnect keeps the old keys listed.
    process.stderr.write(
      `hint: the keys come from the copy saved by the listener (${keys.location}); if Konnect rotated its key since, check against its current keys: konnect-audit verify --jwks <(curl -s https://<region>.api.konghq.com/v2/audit-log-webhook/jwks.json)\n`,
    );
  }
  if (!ok) process.exitCode = 1;
}
