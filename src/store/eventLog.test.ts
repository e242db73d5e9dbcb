import assert from 'node:assert/strict';
import { chmod, mkdtemp, open, readFile, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, mock, test } from 'node:test';
import { openEventLog, type EventLog } from './eventLog.js';

let root: string;
let eventsFile: string;
const logs: EventLog[] = [];
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'store-events-'));
  eventsFile = join(root, 'profile', 'events.jsonl');
});
afterEach(async () => {
  mock.restoreAll();
  await Promise.all(logs.splice(0).map((log) => log.close()));
  await rm(root, { recursive: true, force: true });
});

async function openLog(path = eventsFile): Promise<EventLog> {
  const log = await openEventLog(path);
  logs.push(log);
  return log;
}

const bufs = (...texts: string[]) => texts.map((t) => Buffer.from(t));
const content = () => readFile(eventsFile, 'utf8');

type Method = (this: FileHandle, ...args: unknown[]) => Promise<unknown>;
/** FileHandle.prototype, to make the next write or fsync fail the way a full or failing disk does. */
async function fileHandleProto(): Promise<Record<'write' | 'writev' | 'sync', Method>> {
  const handle = await open(eventsFile, 'r');
  await handle.close();
  return Object.getPrototypeOf(handle) as Record<'write' | 'writev' | 'sync', Method>;
}
const diskError = (code: string) => Object.assign(new Error(`${code}: injected disk failure`), { code });

test('appends each record as one line, in order, and counts them', async () => {
  const log = await openLog();
  await log.append(bufs('{"a":1}', '{"b":2}'));
  await log.append(bufs('{"c":3}'));
  await log.append([]);
  assert.equal(await content(), '{"a":1}\n{"b":2}\n{"c":3}\n');
  assert.equal(log.appended, 3);
  assert.equal(log.path, eventsFile);
});

test('keeps record bytes exactly, invalid UTF-8 included', async () => {
  const log = await openLog();
  const record = Buffer.from([0xff, 0x00, 0xc3, 0x28, 0x7b]);
  await log.append([record]);
  assert.deepEqual(await readFile(eventsFile), Buffer.concat([record, Buffer.from('\n')]));
});

test('creates the events file 0600 and its directory 0700', async () => {
  await openLog();
  assert.equal((await stat(eventsFile)).mode & 0o777, 0o600);
  assert.equal((await stat(join(root, 'profile'))).mode & 0o777, 0o700);
});

test('appends to an existing file without touching its lines', async () => {
  const first = await openLog();
  await first.append(bufs('old'));
  await first.close();
  const second = await openLog();
  await second.append(bufs('new'));
  assert.equal(await content(), 'old\nnew\n');
  assert.equal(second.appended, 1);
});

test('group commit: 1000 concurrent appends take two write+fsync rounds and never interleave', async () => {
  const log = await openLog();
  const expected: string[] = [];
  const appends = Array.from({ length: 1000 }, (_, i) => {
    const records = [`{"call":${i},"part":0}`, `{"call":${i},"part":1}`, `{"call":${i},"part":2}`];
    expected.push(...records);
    return log.append(bufs(...records));
  });
  await Promise.all(appends);
  // The first call is written at once; the 999 that arrive meanwhile share the next round.
  assert.equal(log.fsyncs, 2);
  assert.equal(log.appended, 3000);
  assert.equal(await content(), `${expected.join('\n')}\n`);
});

test('appends arriving while a round is in progress all wait for the round that carries them', async () => {
  const log = await openLog();
  const settled: number[] = [];
  const first = log.append(bufs('r0')).then(() => settled.push(0));
  const rest = [1, 2, 3].map((i) => log.append(bufs(`r${i}`)).then(() => settled.push(i)));
  await first;
  assert.deepEqual(settled, [0]);
  await Promise.all(rest);
  assert.deepEqual(settled, [0, 1, 2, 3]);
  assert.equal(log.fsyncs, 2);
});

test('a torn final line left by a crash is cut away on open', async () => {
  await openLog().then((log) => log.close());
  await writeFile(eventsFile, '{"a":1}\n{"b":2}\n{"c":');
  const log = await openLog();
  assert.equal(await content(), '{"a":1}\n{"b":2}\n');
  await log.append(bufs('{"d":4}'));
  assert.equal(await content(), '{"a":1}\n{"b":2}\n{"d":4}\n');
});

test('a file with no complete line is emptied on open', async () => {
  await openLog().then((log) => log.close());
  await writeFile(eventsFile, '{"partial":');
  await openLog();
  assert.equal(await content(), '');
});

test('a torn line longer than the tail read chunk is cut away too', async () => {
  await openLog().then((log) => log.close());
  await writeFile(eventsFile, `ok\n${'x'.repeat(200 * 1024)}`);
  await openLog();
  assert.equal(await content(), 'ok\n');
});

test('a file ending in a newline is left as it is', async () => {
  await openLog().then((log) => log.close());
  await writeFile(eventsFile, 'a\nb\n');
  await openLog();
  assert.equal(await content(), 'a\nb\n');
});

test('a short write followed by a failed write rejects, leaves no partial line, and later appends work', async () => {
  const log = await openLog();
  await log.append(bufs('before'));
  const proto = await fileHandleProto();
  const write = proto.write;
  const writev = proto.writev;
  let failures = 1;
  // libuv reports a writev that failed half-way as a short write; the rest then fails (disk full).
  mock.method(proto, 'writev', async function (this: FileHandle, buffers: Buffer[], position: null) {
    if (failures <= 0) return writev.call(this, buffers, position);
    const bytes = Buffer.concat(buffers);
    return { bytesWritten: ((await write.call(this, bytes, 0, Math.floor(bytes.length / 2), position)) as { bytesWritten: number }).bytesWritten, buffers };
  });
  mock.method(proto, 'write', async function (this: FileHandle, buffer: Buffer, offset: number, length: number, position: null) {
    if (failures-- <= 0) return write.call(this, buffer, offset, length, position);
    throw diskError('ENOSPC');
  });
  await assert.rejects(log.append(bufs('lost-record-one', 'lost-record-two')), { code: 'ENOSPC' });
  assert.equal(await content(), 'before\n');
  await log.append(bufs('after'));
  assert.equal(await content(), 'before\nafter\n');
  assert.equal(log.appended, 2);
});

test('a short write is completed by the following writes', async () => {
  const log = await openLog();
  const proto = await fileHandleProto();
  const write = proto.write;
  mock.method(proto, 'writev', async function (this: FileHandle, buffers: Buffer[], position: null) {
    const bytes = Buffer.concat(buffers);
    return { bytesWritten: ((await write.call(this, bytes, 0, 3, position)) as { bytesWritten: number }).bytesWritten, buffers };
  });
  await log.append(bufs('record-one', 'record-two'));
  assert.equal(await content(), 'record-one\nrecord-two\n');
});

test('a durable write that fails after its bytes reached the file rejects, the bytes are cut, and later appends work', async () => {
  const log = await openLog();
  await log.append(bufs('before'));
  const proto = await fileHandleProto();
  const writev = proto.writev;
  let failures = 1;
  // O_DSYNC reports a failed flush as a failed write, possibly after the bytes landed in the file.
  mock.method(proto, 'writev', async function (this: FileHandle, ...args: Parameters<FileHandle['writev']>) {
    const result = await writev.apply(this, args);
    if (failures-- > 0) throw diskError('EIO');
    return result;
  });
  await assert.rejects(log.append(bufs('unsynced')), { code: 'EIO' });
  assert.equal(await content(), 'before\n');
  await log.append(bufs('after'));
  assert.equal(await content(), 'before\nafter\n');
  assert.equal(log.fsyncs, 2);
});

test('records that sit back to back in one body are written as they are, in order, with others between', async () => {
  const log = await openLog();
  const body = Buffer.from('a1\na2\na3\n\nb1\nb2');
  const split = [body.subarray(0, 2), body.subarray(3, 5), body.subarray(6, 8), body.subarray(10, 12), body.subarray(13, 15)];
  await Promise.all([log.append(split), log.append(bufs('x')), log.append([body.subarray(13, 15), body.subarray(0, 2)])]);
  assert.equal(await content(), 'a1\na2\na3\nb1\nb2\nx\nb2\na1\n');
});

test('a record containing a newline is refused and nothing is written', async () => {
  const log = await openLog();
  await assert.rejects(log.append(bufs('fine', 'two\nlines')), TypeError);
  assert.equal(await content(), '');
});

test('close waits for pending appends; appends after close reject', async () => {
  const log = await openLog();
  const pending = log.append(bufs('r1'));
  await log.close();
  await pending;
  assert.equal(await content(), 'r1\n');
  await assert.rejects(log.append(bufs('r2')), /closed/);
  await log.close(); // idempotent
});

test('opening a path that is not a regular file fails', async () => {
  await openLog().then((log) => log.close());
  await assert.rejects(openEventLog(join(root, 'profile')), { code: 'EISDIR' });
});

test('an existing directory keeps its mode (only a missing one is created 0700)', async () => {
  await openLog().then((log) => log.close());
  await chmod(join(root, 'profile'), 0o750);
  await openLog();
  assert.equal((await stat(join(root, 'profile'))).mode & 0o777, 0o750);
});
