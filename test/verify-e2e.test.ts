/**
 * `verify` end to end: a real listener fills a store from the emulator (signed records), then the
 * built CLI checks it, tampered copies of it, gzip segments, and each source of keys.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { startEmulator, type Emulator } from '../src/emulator/index.js';
import { importJwks, verifyRecord, type Jwks } from '../src/records/signing.js';
import { runCliAsync as runCli, startCli } from './support/cli.js';
import { eventually, freePort } from './support/wait.js';

const AUTH = 'Bearer verify-secret';
const RECORDS = 3000;
let emulator: Emulator;
let home: string;
/** The listener's store: <home>/data/default/events.jsonl. */
let storeDir: string;
let stored: string[];
/** The JWKS before any rotation. */
let firstJwks: Jwks;
/** A base URL where nothing listens: keys must come from files. */
let offline: string;
let copies = 0;

function env(): NodeJS.ProcessEnv {
  return { XDG_CONFIG_HOME: join(home, 'config'), HOME: home, KONNECT_TOKEN: '', KONNECT_AUDIT_PROFILE: '' };
}

function verify(args: string[]) {
  return runCli(['verify', ...args], { env: env(), timeoutMs: 60_000 });
}

/** Runs a real listener on `dataDir` until `count` generated records (and the audit events of its own calls) are stored. */
async function fillStore(dataDir: string, count: number): Promise<void> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/audit-logs`;
  const events = join(dataDir, 'default', 'events.jsonl');
  const lineCount = () => (existsSync(events) ? readFileSync(events, 'utf8').split('\n').filter((l) => l !== '').length : 0);
  const before = lineCount();
  // No back-fill: its replay would count as delivered while the store drops the repeats.
  const proc = startCli(['listen', '--base-url', emulator.baseUrl, '--pat', emulator.token, '--endpoint', url, '--listen-address', `127.0.0.1:${port}`, '--authorization', AUTH, '--data-dir', dataDir, '--backfill', 'off'], {
    env: env(),
  });
  try {
    await eventually('the webhook to be bound', () => emulator.inspect().regions.us!.webhook.enabled || undefined);
    const deliveredBefore = emulator.inspect().regions.us!.delivery.recordsDelivered;
    await emulator.generate({ count });
    await emulator.idle();
    const delivered = emulator.inspect().regions.us!.delivery.recordsDelivered - deliveredBefore;
    assert.ok(delivered >= count);
    await eventually('every delivered record stored', () => lineCount() - before >= delivered || undefined, 30_000);
  } finally {
    proc.child.kill('SIGTERM');
    assert.equal(await proc.exited(), 0, proc.stderr);
  }
  await emulator.idle();
  assert.equal(emulator.inspect().regions.us!.delivery.recordsFailed, 0);
}

/** A fresh data dir whose default profile holds the files given (names → contents). */
function store(files: Record<string, string | Buffer>): { dataDir: string; dir: string } {
  const dataDir = join(home, `copy-${++copies}`);
  const dir = join(dataDir, 'default');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return { dataDir, dir };
}

const lines = (records: readonly string[]) => records.join('\n') + '\n';

/** The line with the character at `index` replaced by a different base64url/ASCII one. */
function changeAt(line: string, index: number): string {
  const replacement = line[index] === 'A' ? 'B' : 'A';
  return line.slice(0, index) + replacement + line.slice(index + 1);
}

function summary(stdout: string): string {
  return stdout.trimEnd().split('\n').at(-1)!;
}

before(async () => {
  emulator = await startEmulator({ port: 0, timeScale: 0.01, flushMs: 100 });
  home = mkdtempSync(join(tmpdir(), 'konnect-audit-verify-'));
  offline = `http://127.0.0.1:${await freePort()}`;
  firstJwks = emulator.jwks();
  await fillStore(join(home, 'data'), RECORDS);
  storeDir = join(home, 'data', 'default');
  stored = readFileSync(join(storeDir, 'events.jsonl'), 'utf8').split('\n').filter((l) => l !== '');
  assert.ok(stored.length > RECORDS && stored.every((l) => l.includes(',"sig":"')), 'the listener stored signed records');
});
after(async () => {
  await emulator.stop();
  rmSync(home, { recursive: true, force: true });
});

describe('verify: a store filled by a real listener', () => {
  test("every record of the listener's store verifies (exit 0, nothing on stderr)", async () => {
    const started = performance.now();
    const result = await verify(['--data-dir', join(home, 'data'), '--base-url', emulator.baseUrl]);
    const seconds = (performance.now() - started) / 1000;
    assert.equal(result.status, 0, result.stderr + result.stdout);
    assert.equal(result.stderr, '');
    const n = stored.length;
    // The listener may have saved the JWKS beside the events; else the keys are fetched.
    const source = existsSync(join(storeDir, 'jwks.json')) ? `saved copy ${join(storeDir, 'jwks.json')}` : `fetched from ${emulator.baseUrl}/v2/audit-log-webhook/jwks.json`;
    assert.equal(result.stdout, `${n} records in 1 file: ${n} valid, 0 invalid, 0 unsigned (keys: ${source})\n`);
    process.stdout.write(`# verify: ${n} records in ${seconds.toFixed(2)} s including start-up (${Math.round(n / seconds)} records/s)\n`);
  });

  test('the saved jwks.json is used offline, and keys are fetched from Konnect (the emulator) without a token when there is none', async () => {
    const saved = store({ 'events.jsonl': lines(stored), 'jwks.json': JSON.stringify(firstJwks) });
    const offlineRun = await verify(['--data-dir', saved.dataDir, '--base-url', offline]);
    assert.equal(offlineRun.status, 0, offlineRun.stderr);
    assert.match(summary(offlineRun.stdout), new RegExp(`: ${stored.length} valid, 0 invalid, 0 unsigned \\(keys: saved copy ${join(saved.dir, 'jwks.json')}\\)$`));

    const bare = store({ 'events.jsonl': lines(stored) });
    const fetched = await verify(['--data-dir', bare.dataDir, '--base-url', emulator.baseUrl]);
    assert.equal(fetched.status, 0, fetched.stderr);
    assert.match(summary(fetched.stdout), new RegExp(`\\(keys: fetched from ${emulator.baseUrl}/v2/audit-log-webhook/jwks\\.json\\)$`));

    const unreachable = await verify(['--data-dir', bare.dataDir, '--base-url', offline]);
    assert.equal(unreachable.status, 1);
    assert.match(unreachable.stderr, /^error: cannot get the signing keys from http:\/\/127\.0\.0\.1:\d+\/v2\/audit-log-webhook\/jwks\.json: .*give --jwks FILE/);
    assert.equal(unreachable.stdout, '');
  });

  test('--jwks FILE wins over the saved copy and Konnect', async () => {
    const wrongKeys: Jwks = { keys: [{ kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' }] };
    const s = store({ 'events.jsonl': lines(stored.slice(0, 100)), 'jwks.json': JSON.stringify(wrongKeys) });
    const jwksFile = join(home, 'keys.json');
    writeFileSync(jwksFile, JSON.stringify(firstJwks));
    const result = await verify(['--data-dir', s.dataDir, '--base-url', offline, '--jwks', jwksFile]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, `100 records in 1 file: 100 valid, 0 invalid, 0 unsigned (keys: --jwks ${jwksFile})\n`);
    // The saved copy holds the wrong key: every record fails with it.
    const withSaved = await verify(['--data-dir', s.dataDir, '--base-url', offline, '--max-failures', '0']);
    assert.equal(withSaved.status, 1);
    assert.match(withSaved.stdout, /^\.\.\. 100 more failures not listed \(--max-failures 0\)\n100 records in 1 file: 0 valid, 100 invalid, 0 unsigned/);
  });

  test('one byte changed in the middle of a record, or inside its sig, is caught at its file:line', async () => {
    const records = [...stored];
    const middle = 17;
    const inSig = records.length - 5;
    records[middle] = changeAt(records[middle]!, Math.floor(records[middle]!.indexOf(',"sig":"') / 2));
    records[inSig] = changeAt(records[inSig]!, records[inSig]!.indexOf(',"sig":"') + 8 + 40);
    const s = store({ 'events.jsonl': lines(records), 'jwks.json': JSON.stringify(firstJwks) });
    const file = join(s.dir, 'events.jsonl');
    const result = await verify(['--data-dir', s.dataDir]);
    assert.equal(result.status, 1);
    const n = records.length;
    assert.equal(
      result.stdout,
      [`${file}:${middle + 1}: invalid signature`, `${file}:${inSig + 1}: invalid signature`, `${n} records in 1 file: ${n - 2} valid, 2 invalid, 0 unsigned (keys: saved copy ${join(s.dir, 'jwks.json')})`, ''].join('\n'),
    );
    // The same, named explicitly and relative to nothing: the path is shown as given.
    const explicit = await verify(['--jwks', join(s.dir, 'jwks.json'), file]);
    assert.equal(explicit.status, 1);
    assert.match(explicit.stdout, new RegExp(`^${file}:${middle + 1}: invalid signature\n`));
  });

  test('an unsigned record counts as unsigned: exit 1, and exit 0 with --allow-unsigned', async () => {
    const unsigned = stored[3]!.replace(/,"sig":"[^"]*"\}$/, '}');
    const records = [...stored.slice(0, 10), unsigned, ...stored.slice(10, 20)];
    const s = store({ 'events.jsonl': lines(records), 'jwks.json': JSON.stringify(firstJwks) });
    const file = join(s.dir, 'events.jsonl');
    const strict = await verify(['--data-dir', s.dataDir]);
    assert.equal(strict.status, 1);
    assert.equal(strict.stdout.split('\n')[0], `${file}:11: unsigned`);
    assert.match(summary(strict.stdout), /^21 records in 1 file: 20 valid, 0 invalid, 1 unsigned /);
    const allowed = await verify(['--data-dir', s.dataDir, '--allow-unsigned']);
    assert.equal(allowed.status, 0, allowed.stdout);
    assert.match(allowed.stdout, /^21 records in 1 file: 20 valid, 0 invalid, 1 unsigned \(keys: saved copy .*\)\n$/);
  });

  test('rotated segments (.jsonl.gz and .jsonl) are read oldest first, then events.jsonl; quarantine.jsonl only when named', async () => {
    const third = Math.floor(stored.length / 3);
    const bad = changeAt(stored[0]!, 30);
    const s = store({
      'events-20250102T000000Z.jsonl': lines(stored.slice(third, 2 * third)),
      'events-20250101T000000Z.jsonl.gz': gzipSync(lines(stored.slice(0, third))),
      'events.jsonl': lines(stored.slice(2 * third)),
      'quarantine.jsonl': lines([bad]),
      'jwks.json': JSON.stringify(firstJwks),
      'listener.json': '{}',
    });
    const result = await verify(['--data-dir', s.dataDir, '-o', 'json']);
    assert.equal(result.status, 0, result.stderr + result.stdout);
    const report = JSON.parse(result.stdout) as { files: { file: string; records: number; valid: number }[]; records: number; valid: number };
    assert.deepEqual(
      report.files.map((f) => [f.file, f.records, f.valid]),
      [
        [join(s.dir, 'events-20250101T000000Z.jsonl.gz'), third, third],
        [join(s.dir, 'events-20250102T000000Z.jsonl'), third, third],
        [join(s.dir, 'events.jsonl'), stored.length - 2 * third, stored.length - 2 * third],
      ],
    );
    assert.equal(report.valid, stored.length);
    const quarantine = await verify(['--data-dir', s.dataDir, join(s.dir, 'quarantine.jsonl'), join(s.dir, 'events-20250101T000000Z.jsonl.gz')]);
    assert.equal(quarantine.status, 1);
    assert.match(quarantine.stdout, new RegExp(`^${join(s.dir, 'quarantine.jsonl')}:1: invalid signature\n${third + 1} records in 2 files: ${third} valid, 1 invalid, 0 unsigned`));
  });

  test('-o json and -o yaml give counts per file and overall, the failures and where the keys came from', async () => {
    const records = stored.slice(0, 50);
    for (const i of [4, 9, 14]) records[i] = changeAt(records[i]!, 20);
    records[20] = '{"name":"no signature"}';
    const s = store({ 'events.jsonl': lines(records), 'jwks.json': JSON.stringify(firstJwks) });
    const file = join(s.dir, 'events.jsonl');
    const result = await verify(['--data-dir', s.dataDir, '-o', 'json', '--max-failures', '2']);
    assert.equal(result.status, 1);
    assert.deepEqual(JSON.parse(result.stdout), {
      ok: false,
      records: 50,
      valid: 46,
      invalid: 3,
      unsigned: 1,
      keys: { source: 'saved', location: join(s.dir, 'jwks.json'), count: firstJwks.keys.length },
      files: [{ file, records: 50, valid: 46, invalid: 3, unsigned: 1 }],
      failures: [
        { file, line: 5, result: 'invalid' },
        { file, line: 10, result: 'invalid' },
      ],
      failures_omitted: 2,
    });
    const yaml = await verify(['--data-dir', s.dataDir, '-o', 'yaml', '--allow-unsigned', '--max-failures', '1']);
    assert.equal(yaml.status, 1);
    assert.match(yaml.stdout, /^---\nok: false\nrecords: 50\nvalid: 46\ninvalid: 3\nunsigned: 1\n/);
    assert.match(yaml.stdout, /failures_omitted: 2\n$/);
  });

  test('errors: a missing file or data dir, an unreadable JWKS exit 1 with a clear message; bad flags exit 2', async () => {
    const missing = join(home, 'nope.jsonl');
    const r1 = await verify(['--base-url', offline, missing]);
    assert.equal(r1.status, 1);
    assert.equal(r1.stderr, `error: cannot read ${missing}: no such file\n`);

    const empty = await verify(['--data-dir', join(home, 'empty-data')]);
    assert.equal(empty.status, 1);
    assert.match(empty.stderr, /^error: no stored events for profile "default": .*empty-data\/default holds no events\.jsonl/);

    const s = store({ 'events.jsonl': lines(stored.slice(0, 3)), 'jwks.json': '{"keys": [' });
    const corrupt = await verify(['--data-dir', s.dataDir]);
    assert.equal(corrupt.status, 1);
    assert.match(corrupt.stderr, new RegExp(`^error: cannot read the saved JWKS ${join(s.dir, 'jwks.json')}: .*is not JSON`));
    const noFile = await verify(['--data-dir', s.dataDir, '--jwks', join(home, 'missing-keys.json')]);
    assert.equal(noFile.status, 1);
    assert.match(noFile.stderr, /^error: cannot read the --jwks file .*missing-keys\.json: no such file\n$/);
    const notJwks = join(home, 'not-jwks.json');
    writeFileSync(notJwks, '{"keys":[{"kty":"RSA","n":"x","e":"AQAB"}]}');
    const noEd25519 = await verify(['--data-dir', s.dataDir, '--jwks', notJwks]);
    assert.equal(noEd25519.status, 1);
    assert.match(noEd25519.stderr, /holds no Ed25519 key/);

    const badCount = await verify(['--data-dir', s.dataDir, '--max-failures', 'many']);
    assert.equal(badCount.status, 2);
    assert.match(badCount.stderr, /invalid argument "many" for "--max-failures" flag[\s\S]*konnect-audit verify --help/);
    const badFormat = await verify(['--data-dir', s.dataDir, '-o', 'xml']);
    assert.equal(badFormat.status, 2);
    const unknown = await verify(['--nope']);
    assert.equal(unknown.status, 2);
  });
});

describe('verify: after the emulator rotates its key', () => {
  let rotatedDir: string;
  let oldCount: number;
  before(async () => {
    // The same store, continued by a listener after the rotation: old-key records first, then new-key ones.
    const dataDir = join(home, 'rotated');
    mkdirSync(join(dataDir, 'default'), { recursive: true, mode: 0o700 });
    writeFileSync(join(dataDir, 'default', 'events.jsonl'), lines(stored), { mode: 0o600 });
    oldCount = stored.length;
    emulator.rotateKey();
    await fillStore(dataDir, 200);
    rotatedDir = join(dataDir, 'default');
  });

  test("the emulator's JWKS keeps the old key, so every record verifies with the keys fetched after rotation", async () => {
    const now = emulator.jwks();
    assert.equal(now.keys.length, firstJwks.keys.length + 1);
    assert.ok(firstJwks.keys.every((k) => now.keys.some((n) => n.x === k.x)));
    const all = readFileSync(join(rotatedDir, 'events.jsonl'), 'utf8').split('\n').filter((l) => l !== '');
    // The records after the rotation really are signed with the new key.
    assert.ok(all.slice(oldCount).every((l) => verifyRecord(l, importJwks(firstJwks)) === 'invalid'));
    rmSync(join(rotatedDir, 'jwks.json'), { force: true });
    const result = await verify(['--data-dir', join(home, 'rotated'), '--base-url', emulator.baseUrl]);
    assert.equal(result.status, 0, result.stdout);
    assert.match(result.stdout, new RegExp(`^${all.length} records in 1 file: ${all.length} valid, 0 invalid, 0 unsigned \\(keys: fetched from `));
  });

  test('with a saved copy of the old JWKS, old-key records still verify and only the new-key ones fail', async () => {
    const all = readFileSync(join(rotatedDir, 'events.jsonl'), 'utf8').split('\n').filter((l) => l !== '');
    writeFileSync(join(rotatedDir, 'jwks.json'), JSON.stringify(firstJwks));
    const result = await verify(['--data-dir', join(home, 'rotated'), '--base-url', offline, '-o', 'json', '--max-failures', '1']);
    assert.equal(result.status, 1);
    const report = JSON.parse(result.stdout) as { valid: number; invalid: number; failures: { line: number }[]; keys: { source: string } };
    assert.equal(report.valid, oldCount);
    assert.equal(report.invalid, all.length - oldCount);
    assert.deepEqual(report.failures.map((f) => f.line), [oldCount + 1]);
    assert.equal(report.keys.source, 'saved');
    assert.match(result.stderr, /^hint: the keys come from the copy saved by the listener .*if Konnect rotated its key since/);
    // And the old records alone pass with it.
    const oldOnly = join(home, 'old-only.jsonl');
    writeFileSync(oldOnly, lines(all.slice(0, oldCount)));
    const old = await verify(['--data-dir', join(home, 'rotated'), oldOnly]);
    assert.equal(old.status, 0, old.stdout);
  });
});
