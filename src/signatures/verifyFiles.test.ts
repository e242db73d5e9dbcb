import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { importJwks, pullSignedMessage, signingKeyFromSeed, verifyRecord, type SigningKey } from '../records/signing.js';
import { checkReadable, verifyFiles, VerifyFileError, type VerifyFailure } from './verifyFiles.js';

const KEY = signingKeyFromSeed(Buffer.alloc(32, 1));
const OTHER = signingKeyFromSeed(Buffer.alloc(32, 2));
const KEYS = importJwks({ keys: [KEY.jwk] });

/** A signed JSON record as Konnect sends it (sig last). */
function signed(fields: Record<string, unknown>, key: SigningKey = KEY): string {
  const body = JSON.stringify(fields);
  return `${body.slice(0, -1)},"sig":"${key.sign(body)}"}`;
}

/** The record with one character in the middle changed. */
function tampered(line: string): string {
  const i = Math.floor(line.indexOf(',"sig"') / 2);
  return line.slice(0, i) + (line[i] === 'x' ? 'y' : 'x') + line.slice(i + 1);
}

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'verify-files-'));
});
after(() => rm(dir, { recursive: true, force: true }));

async function file(name: string, content: string | Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

describe('verifyFiles', () => {
  test('counts valid, invalid and unsigned records; line numbers count blank lines; CRLF and a last line without newline', async () => {
    const a = signed({ name: 'a', n: 1 });
    const b = signed({ name: 'b', n: 2 });
    const c = signed({ name: 'c', n: 3 });
    const lines = [a, '', tampered(b), '   ', '{"name":"unsigned"}', '\t', c + '\r', '', signed({ name: 'last' }) + '\r'];
    const path = await file('mixed.jsonl', lines.join('\n'));
    const report = await verifyFiles([path], { keys: KEYS });
    assert.deepEqual(report.total, { records: 5, valid: 3, invalid: 1, unsigned: 1 });
    assert.deepEqual(report.files, [{ file: path, records: 5, valid: 3, invalid: 1, unsigned: 1 }]);
    assert.deepEqual(report.failures, [
      { file: path, line: 3, result: 'invalid' },
      { file: path, line: 5, result: 'unsigned' },
    ]);
    assert.equal(report.failuresOmitted, 0);
  });

  test('changing any one byte of a record, message or sig, makes it fail at its line', async () => {
    const record = signed({ action: 'list', name: 'Authz.control-planes', org_id: '777db3e4-5cb7-4dd5-b51c-9878096a6999', rt: 1750280466889 });
    const variants = [...record].map((char, i) => record.slice(0, i) + (char === 'A' ? 'B' : 'A') + record.slice(i + 1));
    const path = await file('every-byte.jsonl', [record, ...variants].join('\n'));
    const report = await verifyFiles([path], { keys: KEYS, maxFailures: Infinity });
    assert.equal(report.total.valid, 1);
    assert.equal(report.failures.length, record.length);
    assert.deepEqual(
      report.failures.map((f) => f.line),
      variants.map((_, i) => i + 2),
    );
  });

  test('an empty file and a file of blank lines hold no records', async () => {
    const empty = await file('empty.jsonl', '');
    const blank = await file('blank.jsonl', '\n\r\n\n');
    const report = await verifyFiles([empty, blank], { keys: KEYS });
    assert.deepEqual(report.total, { records: 0, valid: 0, invalid: 0, unsigned: 0 });
    assert.equal(report.files.length, 2);
  });

  test('gzip files are read, by content, including concatenated gzip members, and counted per file', async () => {
    const first = Array.from({ length: 10 }, (_, i) => signed({ name: 'gz', i }));
    const second = [signed({ name: 'gz2' }), tampered(signed({ name: 'gz3' }))];
    const gz = await file('events-0001.jsonl.gz', Buffer.concat([gzipSync(first.join('\n') + '\n'), gzipSync(second.join('\n') + '\n')]));
    // A gzip file whatever its name.
    const unnamed = await file('segment', gzipSync(`${signed({ name: 'x' })}\n{"unsigned":true}\n`));
    const plain = await file('plain.jsonl', `${tampered(signed({ name: 'p' }))}\n`);
    const report = await verifyFiles([gz, unnamed, plain], { keys: KEYS });
    assert.deepEqual(report.files, [
      { file: gz, records: 12, valid: 11, invalid: 1, unsigned: 0 },
      { file: unnamed, records: 2, valid: 1, invalid: 0, unsigned: 1 },
      { file: plain, records: 1, valid: 0, invalid: 1, unsigned: 0 },
    ]);
    assert.deepEqual(report.failures, [
      { file: gz, line: 12, result: 'invalid' },
      { file: unnamed, line: 2, result: 'unsigned' },
      { file: plain, line: 1, result: 'invalid' },
    ]);
  });

  test('bounded concurrency keeps failures in line order, across chunk boundaries, multi-byte text and a line longer than a chunk', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const record = signed({ name: `Authz.événements-東京-${i}`, pad: 'x'.repeat(i % 97), i });
      lines.push(i % 37 === 5 ? tampered(record) : i % 101 === 7 ? '{"no":"sig"}' : i % 250 === 3 ? '' : record);
    }
    lines.splice(1500, 0, signed({ name: 'huge', ua: 'u'.repeat(200_000) }), tampered(signed({ name: 'huge2', ua: 'v'.repeat(150_000) })));
    const content = lines.join('\n') + '\n';
    const path = await file('big.jsonl', content);
    const gz = await file('big.jsonl.gz', gzipSync(content));
    // What checking line by line, one at a time, says.
    const expected: VerifyFailure[] = [];
    lines.forEach((line, i) => {
      if (line === '') return;
      const result = verifyRecord(line, KEYS);
      if (result !== 'valid') expected.push({ file: path, line: i + 1, result });
    });
    assert.ok(expected.length > 100);
    for (const concurrency of [1, 7, 64, 256]) {
      const report = await verifyFiles([path, gz], { keys: KEYS, concurrency, maxFailures: 10_000 });
      assert.deepEqual(report.failures, [...expected, ...expected.map((f) => ({ ...f, file: gz }))], `concurrency ${concurrency}`);
      assert.equal(report.total.records, 2 * lines.filter((l) => l !== '').length);
    }
  });

  test('maxFailures caps the list, never the counts; listUnsigned false leaves unsigned records out of it', async () => {
    const lines = Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? tampered(signed({ i })) : `{"unsigned":${i}}`));
    const path = await file('many.jsonl', lines.join('\n'));
    const capped = await verifyFiles([path], { keys: KEYS, maxFailures: 3 });
    assert.deepEqual(capped.total, { records: 50, valid: 0, invalid: 25, unsigned: 25 });
    assert.deepEqual(
      capped.failures.map((f) => [f.line, f.result]),
      [
        [1, 'invalid'],
        [2, 'unsigned'],
        [3, 'invalid'],
      ],
    );
    assert.equal(capped.failuresOmitted, 47);
    const invalidOnly = await verifyFiles([path], { keys: KEYS, maxFailures: 3, listUnsigned: false });
    assert.deepEqual(
      invalidOnly.failures.map((f) => f.line),
      [1, 3, 5],
    );
    assert.equal(invalidOnly.failuresOmitted, 22);
    assert.equal(invalidOnly.total.unsigned, 25);
    const none = await verifyFiles([path], { keys: KEYS, maxFailures: 0 });
    assert.deepEqual(none.failures, []);
    assert.equal(none.failuresOmitted, 50);
  });

  test('every key is tried: records signed by an older key verify with a JWKS holding both', async () => {
    const path = await file('rotated.jsonl', `${signed({ k: 1 }, KEY)}\n${signed({ k: 2 }, OTHER)}\n`);
    const both = importJwks({ keys: [OTHER.jwk, KEY.jwk] });
    assert.deepEqual((await verifyFiles([path], { keys: both })).total, { records: 2, valid: 2, invalid: 0, unsigned: 0 });
    assert.deepEqual((await verifyFiles([path], { keys: KEYS })).failures, [{ file: path, line: 2, result: 'invalid' }]);
  });

  test('CEF records verify too', async () => {
    const body = '2025-06-18T21:02:36Z konghq.com CEF:0|KongInc|Konnect|1.0|konnect|Authz.control-planes|1|rt=1750280466889 src=127.0.0.6 action=list';
    const path = await file('cef.log', `${body} sig=${KEY.sign(body)}\n${body.replace('list', 'lisT')} sig=${KEY.sign(body)}\n`);
    const report = await verifyFiles([path], { keys: KEYS });
    assert.deepEqual(report.total, { records: 2, valid: 1, invalid: 1, unsigned: 0 });
  });

  test('pull API records beside webhook records: signed by the pull scheme, never counted unsigned', async () => {
    const pull = (fields: Record<string, unknown>) => JSON.stringify({ ...fields, signature: KEY.sign(pullSignedMessage(fields)) });
    const good = pull({ type: 'gateway_access', ts: '2026-11-27T12:00:00Z', method: 'GET', status_code: 200 });
    const bad = good.replace('"status_code":200', '"status_code":500');
    const unsigned = JSON.stringify({ type: 'authentication', ts: '2026-11-27T12:00:00Z', signature: '' });
    const path = await file('pull.jsonl', [signed({ name: 'Ingress' }), good, bad, unsigned].join('\n') + '\n');
    const report = await verifyFiles([path], { keys: KEYS });
    assert.deepEqual(report.total, { records: 4, valid: 2, invalid: 1, unsigned: 1 });
    assert.deepEqual(report.failures, [
      { file: path, line: 3, result: 'invalid' },
      { file: path, line: 4, result: 'unsigned' },
    ]);
  });

  test('onProgress reports the running total, ending at the number of records', async () => {
    const path = await file('progress.jsonl', Array.from({ length: 200 }, (_, i) => signed({ i })).join('\n'));
    const seen: number[] = [];
    await verifyFiles([path], { keys: KEYS, onProgress: (n) => seen.push(n) });
    assert.equal(seen.at(-1), 200);
    assert.ok(seen.every((n, i) => i === 0 || n >= seen[i - 1]!));
  });

  test('a missing file, a directory or a corrupt gzip file is an error naming the file', async () => {
    const missing = join(dir, 'missing.jsonl');
    await assert.rejects(checkReadable([missing]), (e: unknown) => e instanceof VerifyFileError && e.message === `${missing}: no such file`);
    await assert.rejects(verifyFiles([missing], { keys: KEYS }), (e: unknown) => e instanceof VerifyFileError && e.file === missing);
    await assert.rejects(verifyFiles([dir], { keys: KEYS }), (e: unknown) => e instanceof VerifyFileError && e.message === `${dir}: is a directory`);
    const whole = gzipSync(Array.from({ length: 100 }, (_, i) => signed({ i })).join('\n'));
    const truncated = await file('truncated.jsonl.gz', whole.subarray(0, whole.length - 20));
    await assert.rejects(verifyFiles([truncated], { keys: KEYS }), (e: unknown) => e instanceof VerifyFileError && e.file === truncated && /gzip/.test(e.message));
    const garbage = await file('garbage.jsonl.gz', Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.alloc(64, 7)]));
    await assert.rejects(verifyFiles([garbage], { keys: KEYS }), (e: unknown) => e instanceof VerifyFileError && /not a readable gzip file/.test(e.message));
  });
});
