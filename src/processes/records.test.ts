import assert from 'node:assert/strict';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Children } from './testChildren.js';
import { LISTENER_KIND, processesDir, readRecord, readRecords, recordFile, redactArgs, removeRecord, updateRecord, writeRecord, type ProcessRecord } from './records.js';

const children = new Children();
after(() => children.cleanup());

function sample(pid: number, created_at = '2025-05-01T10:00:00Z'): ProcessRecord {
  return { pid, kind: LISTENER_KIND, profile: 'default', created_at, log_file: `/logs/konnect-audit-listener-${pid}.log`, args: ['listen', '--authorization', '<redacted>'], start_time_ticks: 12345 };
}

describe('record paths', () => {
  test('processesDir and recordFile are <configDir>/processes/<pid>.json', () => {
    assert.equal(processesDir('/cfg'), '/cfg/processes');
    assert.equal(recordFile('/cfg', 42), '/cfg/processes/42.json');
  });
});

describe('writeRecord', () => {
  test('writes 2-space JSON to a 0600 file in a 0700 dir, leaves no temp file, and never stores record_file', async () => {
    const dir = await children.tempDir();
    const path = await writeRecord(dir, { ...sample(101), record_file: '/elsewhere/101.json' });
    assert.equal(path, join(dir, 'processes', '101.json'));
    assert.equal(await readFile(path, 'utf8'), `${JSON.stringify(sample(101), null, 2)}\n`);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.equal((await stat(join(dir, 'processes'))).mode & 0o777, 0o700);
    assert.deepEqual(await readdir(join(dir, 'processes')), ['101.json']);
  });

  test('rejects a pid that is not a positive integer', async () => {
    const dir = await children.tempDir();
    await assert.rejects(writeRecord(dir, sample(0)), { name: 'RangeError', message: 'invalid pid 0' });
  });
});

describe('readRecords', () => {
  test('a missing directory has no records', async () => {
    assert.deepEqual(await readRecords(join(await children.tempDir(), 'nope')), []);
  });

  test('returns newest created_at first, with record_file set', async () => {
    const dir = await children.tempDir();
    await writeRecord(dir, sample(7, '2025-05-01T10:00:00Z'));
    await writeRecord(dir, sample(8, '2025-05-03T10:00:00Z'));
    await writeRecord(dir, sample(9, '2025-05-02T10:00:00+00:00'));
    const records = await readRecords(dir);
    assert.deepEqual(records.map((r) => r.pid), [8, 9, 7]);
    assert.deepEqual(records[0], { ...sample(8, '2025-05-03T10:00:00Z'), record_file: recordFile(dir, 8) });
  });

  test('a corrupt record is returned as a failed placeholder and other files are ignored', async () => {
    const dir = await children.tempDir();
    await writeRecord(dir, sample(7));
    await writeFile(recordFile(dir, 30), '{"pid": 30, "kind":');
    await writeFile(recordFile(dir, 31), JSON.stringify({ ...sample(99) }));
    await writeFile(join(processesDir(dir), 'notes.json'), '{}');
    await writeFile(join(processesDir(dir), '.7.json.abc.tmp'), 'partial');
    const records = await readRecords(dir);
    assert.deepEqual(records.map((r) => r.pid).sort((a, b) => a - b), [7, 30, 31]);
    const bad = records.find((r) => r.pid === 30)!;
    const mtime = (await stat(recordFile(dir, 30))).mtime.toISOString();
    assert.deepEqual(bad, {
      pid: 30, kind: '', profile: '', created_at: mtime, log_file: '', args: [], start_time_ticks: null,
      record_file: recordFile(dir, 30), state: 'failed', error: bad.error,
    });
    assert.match(bad.error!, /^unreadable process record: invalid JSON: /);
    assert.equal(records.find((r) => r.pid === 31)!.error, 'unreadable process record: its pid 99 does not match its file name');
  });

  test('a record with a wrongly typed field is a placeholder naming the field', async () => {
    const dir = await children.tempDir();
    await writeRecord(dir, sample(5));
    await writeFile(recordFile(dir, 6), JSON.stringify({ ...sample(6), args: 'listen' }));
    await writeFile(recordFile(dir, 4), JSON.stringify({ ...sample(4), start_time_ticks: '1' }));
    assert.equal((await readRecord(dir, 6))!.error, 'unreadable process record: "args" is not a list of strings');
    assert.equal((await readRecord(dir, 4))!.error, 'unreadable process record: "start_time_ticks" is neither null nor a whole number');
    assert.equal((await readRecord(dir, 5))!.error, undefined);
  });
});

describe('updateRecord', () => {
  test('merges the patch, keeps the pid, and returns the new record', async () => {
    const dir = await children.tempDir();
    await writeRecord(dir, { ...sample(12), state: 'starting' });
    const updated = await updateRecord(dir, 12, { pid: 99, state: 'running', destination_id: 'd-1', record_file: '/x' });
    const expected = { ...sample(12), state: 'running', destination_id: 'd-1' };
    assert.deepEqual(updated, { ...expected, record_file: recordFile(dir, 12) });
    assert.deepEqual(JSON.parse(await readFile(recordFile(dir, 12), 'utf8')), expected);
    assert.equal((await stat(recordFile(dir, 12))).mode & 0o777, 0o600);
  });

  test('a missing record gives undefined and creates nothing', async () => {
    const dir = await children.tempDir();
    assert.equal(await updateRecord(dir, 13, { state: 'running' }), undefined);
    assert.deepEqual(await readRecords(dir), []);
  });

  test('concurrent updates in one process all land', async () => {
    const dir = await children.tempDir();
    await writeRecord(dir, sample(14));
    await Promise.all([updateRecord(dir, 14, { state: 'running' }), updateRecord(dir, 14, { endpoint: 'https://e' }), updateRecord(dir, 14, { destination_id: 'd' })]);
    assert.deepEqual(JSON.parse(await readFile(recordFile(dir, 14), 'utf8')), { ...sample(14), state: 'running', endpoint: 'https://e', destination_id: 'd' });
  });

  test('a corrupt record is not overwritten', async () => {
    const dir = await children.tempDir();
    await writeRecord(dir, sample(15));
    await writeFile(recordFile(dir, 15), 'garbage');
    await assert.rejects(updateRecord(dir, 15, { state: 'running' }), /^Error: cannot update process record .*15\.json: invalid JSON/);
    assert.equal(await readFile(recordFile(dir, 15), 'utf8'), 'garbage');
  });
});

describe('removeRecord', () => {
  test('removes the record, and a missing one is fine', async () => {
    const dir = await children.tempDir();
    await writeRecord(dir, sample(20));
    await removeRecord(dir, 20);
    await removeRecord(dir, 20);
    await removeRecord(join(dir, 'none'), 21);
    assert.deepEqual(await readdir(processesDir(dir)), []);
  });
});

describe('redactArgs (kongctl)', () => {
  test('redacts every secret flag in both forms', () => {
    const flags = ['--authorization', '--pat', '--token', '--access-token', '--api-key', '--apikey', '--password', '--secret'];
    for (const flag of flags) {
      assert.deepEqual(redactArgs([flag, 'v', `${flag}=v=w`, `${flag}=`]), [flag, '<redacted>', `${flag}=<redacted>`, `${flag}=<redacted>`], flag);
    }
  });

  test('the value after a secret flag is redacted whatever it looks like; a trailing flag is kept', () => {
    assert.deepEqual(redactArgs(['listen', '--pat', '--tail', '--authorization']), ['listen', '--pat', '<redacted>', '--authorization']);
  });

  test('other flags, look-alikes and short flags are untouched', () => {
    const args = ['tail', '-p', 'prod', '--profile=prod', '--token-file', 'x', '--patx=1', 'token', '--endpoint', 'https://h/?token=a', '-o', 'json'];
    assert.deepEqual(redactArgs(args), args);
  });

  test('a kongctl-style listen command line', () => {
    assert.deepEqual(
      redactArgs(['/usr/bin/node', '/opt/ka/konnect-audit.mjs', 'listen', '--authorization', 'Bearer s3cret', '--pat=kpat_abc', '--log-file', '/l']),
      ['/usr/bin/node', '/opt/ka/konnect-audit.mjs', 'listen', '--authorization', '<redacted>', '--pat=<redacted>', '--log-file', '/l'],
    );
  });
});
