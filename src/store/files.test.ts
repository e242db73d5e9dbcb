import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { ensurePrivateDir, removeAbandonedTempFiles, writeJsonAtomic } from './files.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'store-files-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const mode = async (path: string) => (await stat(path)).mode & 0o777;

test('ensurePrivateDir creates missing directories with mode 0700', async () => {
  const dir = join(root, 'a', 'b');
  await ensurePrivateDir(dir);
  assert.equal(await mode(dir), 0o700);
  assert.equal(await mode(join(root, 'a')), 0o700);
});

test('ensurePrivateDir tightens an existing directory to 0700', async () => {
  const dir = join(root, 'open');
  await mkdir(dir);
  await chmod(dir, 0o755);
  await ensurePrivateDir(dir);
  assert.equal(await mode(dir), 0o700);
});

test('writeJsonAtomic writes 2-space JSON and a newline to a 0600 file', async () => {
  const path = join(root, 'listener.json');
  await writeJsonAtomic(path, { profile: 'default', nested: { port: 19090 }, list: [1, 2] });
  assert.equal(await readFile(path, 'utf8'), '{\n  "profile": "default",\n  "nested": {\n    "port": 19090\n  },\n  "list": [\n    1,\n    2\n  ]\n}\n');
  assert.equal(await mode(path), 0o600);
});

test('writeJsonAtomic replaces an existing file and leaves no temp files', async () => {
  const path = join(root, 'destination.json');
  await writeFile(path, 'old', { mode: 0o644 });
  await writeJsonAtomic(path, { a: 1 });
  await writeJsonAtomic(path, { a: 2 });
  assert.equal(await readFile(path, 'utf8'), '{\n  "a": 2\n}\n');
  assert.equal(await mode(path), 0o600);
  assert.deepEqual(await readdir(root), ['destination.json']);
});

test('writeJsonAtomic creates a missing directory 0700', async () => {
  const path = join(root, 'new', 'state.json');
  await writeJsonAtomic(path, []);
  assert.equal(await readFile(path, 'utf8'), '[]\n');
  assert.equal(await mode(join(root, 'new')), 0o700);
});

test('writeJsonAtomic refuses a value with no JSON form and leaves nothing behind', async () => {
  await assert.rejects(writeJsonAtomic(join(root, 'x.json'), undefined), TypeError);
  await assert.rejects(writeJsonAtomic(join(root, 'y.json'), { big: 1n }), TypeError);
  assert.deepEqual(await readdir(root), []);
});

test('writeJsonAtomic leaves no temp file when the rename fails', async () => {
  const path = join(root, 'target');
  await mkdir(join(path, 'occupied'), { recursive: true }); // renaming a file over a non-empty dir fails
  await assert.rejects(writeJsonAtomic(path, { a: 1 }));
  assert.deepEqual(await readdir(root), ['target']);
});

test('removeAbandonedTempFiles deletes only the temp copies writeJsonAtomic leaves when killed mid-write', async () => {
  const keep = ['listener.json', 'events.jsonl', 'events-20261127T170000Z-20261127T170005Z.jsonl.gz.tmp', '.hidden', '.x.json.123.tmp', '.x.json.0123456789AB.tmp'];
  const abandoned = ['.listener.run.json.0123456789ab.tmp', '.jwks.json.ffffffffffff.tmp'];
  for (const name of [...keep, ...abandoned]) await writeFile(join(root, name), '{');
  assert.deepEqual((await removeAbandonedTempFiles(root)).sort(), abandoned.sort());
  assert.deepEqual((await readdir(root)).sort(), keep.sort());
  assert.deepEqual(await removeAbandonedTempFiles(join(root, 'missing')), []);
});
