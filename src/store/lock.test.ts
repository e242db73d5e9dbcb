import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, test } from 'node:test';
import { ProfileLockedError, acquireProfileLock, lockHolder, type ProfileLock } from './lock.js';

let root: string;
let lockFile: string;
const held: ProfileLock[] = [];
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'store-lock-'));
  lockFile = join(root, 'profile', 'listener.lock');
});
afterEach(async () => {
  await Promise.all(held.splice(0).map((lock) => lock.release()));
  await rm(root, { recursive: true, force: true });
});

async function acquire(): Promise<ProfileLock> {
  const lock = await acquireProfileLock(lockFile);
  held.push(lock);
  return lock;
}

const lockedMessage = (pid: number) =>
  `another listener (pid ${pid}) is using the events file of this profile; stop it first, or use another --profile or --data-dir`;

/** Field 22 of /proc/<pid>/stat. */
async function startTicks(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'latin1');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await once(child, 'exit');
  return child.pid!;
}

test('the lock file holds pid, started_at and start_time_ticks, mode 0600', async () => {
  const before = Date.now();
  await acquire();
  const record = JSON.parse(await readFile(lockFile, 'utf8')) as { pid: number; started_at: string; start_time_ticks: number | null };
  assert.deepEqual(Object.keys(record), ['pid', 'started_at', 'start_time_ticks']);
  assert.equal(record.pid, process.pid);
  assert.ok(Date.parse(record.started_at) >= before - 1000 && Date.parse(record.started_at) <= Date.now());
  assert.equal(record.start_time_ticks, process.platform === 'linux' ? await startTicks(process.pid) : null);
  assert.equal((await stat(lockFile)).mode & 0o777, 0o600);
  assert.deepEqual(await readdir(join(root, 'profile')), ['listener.lock']); // no temp file left
});

test('a second acquire fails with ProfileLockedError while the first holder lives', async () => {
  await acquire();
  const error = await acquireProfileLock(lockFile).then(
    () => assert.fail('second acquire succeeded'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ProfileLockedError);
  assert.equal(error.pid, process.pid);
  assert.equal(error.lockFile, lockFile);
  assert.equal(error.message, lockedMessage(process.pid));
});

test('of many concurrent acquires exactly one wins', async () => {
  const results = await Promise.allSettled(Array.from({ length: 10 }, () => acquireProfileLock(lockFile)));
  const won = results.filter((r) => r.status === 'fulfilled');
  assert.equal(won.length, 1);
  held.push(won[0]!.value);
  assert.ok(results.every((r) => r.status === 'fulfilled' || r.reason instanceof ProfileLockedError));
});

test('a lock held by another live process blocks, and is taken over once that process is killed', async () => {
  const lockModule = pathToFileURL(fileURLToPath(new URL('./lock.ts', import.meta.url))).href;
  const script = `const { acquireProfileLock } = await import(${JSON.stringify(lockModule)});
await acquireProfileLock(${JSON.stringify(lockFile)});
process.stdout.write('locked\\n');
setInterval(() => {}, 60_000);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const [line] = (await once(child.stdout, 'data')) as [Buffer];
    assert.equal(line.toString(), 'locked\n');
    await assert.rejects(acquireProfileLock(lockFile), { name: 'ProfileLockedError', pid: child.pid, message: lockedMessage(child.pid!) });
  } finally {
    child.kill('SIGKILL'); // a crash: the child never releases
    await once(child, 'exit');
  }
  await acquire();
  assert.equal((JSON.parse(await readFile(lockFile, 'utf8')) as { pid: number }).pid, process.pid);
});

test('a lock file naming a dead pid is taken over', async () => {
  await acquire().then((lock) => lock.release());
  const pid = await deadPid();
  await writeFile(lockFile, JSON.stringify({ pid, started_at: '2026-01-01T00:00:00.000Z', start_time_ticks: 1 }));
  await acquire();
  assert.equal((JSON.parse(await readFile(lockFile, 'utf8')) as { pid: number }).pid, process.pid);
});

test('a lock file whose pid was recycled by another process (other start time) is taken over', async (t) => {
  if (process.platform !== 'linux') return t.skip('start times come from /proc');
  await acquire().then((lock) => lock.release());
  const ticks = await startTicks(process.pid);
  await writeFile(lockFile, JSON.stringify({ pid: process.pid, started_at: '2026-01-01T00:00:00.000Z', start_time_ticks: ticks + 1 }));
  await acquire();
  assert.equal((JSON.parse(await readFile(lockFile, 'utf8')) as { start_time_ticks: number }).start_time_ticks, ticks);
});

test('a lock file naming a zombie (exited, not yet reaped) is taken over, and lockHolder reports no holder', async (t) => {
  if (process.platform !== 'linux') return t.skip('zombies are told apart through /proc');
  await acquire().then((lock) => lock.release());
  // `sleep 0` exits while its parent, exec'd into `sleep 30`, never reaps it.
  const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 30']);
  t.after(() => parent.kill('SIGKILL'));
  const [line] = (await once(parent.stdout, 'data')) as [Buffer];
  const pid = Number(line.toString().trim());
  const deadline = Date.now() + 10_000;
  while (!(await readFile(`/proc/${pid}/stat`, 'latin1')).includes(') Z ')) {
    if (Date.now() > deadline) throw new Error(`pid ${pid} never became a zombie`);
    await new Promise((resolve) => setImmediate(resolve));
  }
  await writeFile(lockFile, JSON.stringify({ pid, started_at: '2026-01-01T00:00:00.000Z', start_time_ticks: await startTicks(pid) }));
  assert.equal(await lockHolder(lockFile), undefined);
  await acquire();
  assert.equal(await lockHolder(lockFile), process.pid);
});

test('an unreadable lock file (not a lock record) is taken over', async () => {
  await acquire().then((lock) => lock.release());
  await writeFile(lockFile, 'garbage');
  await acquire();
  assert.equal((JSON.parse(await readFile(lockFile, 'utf8')) as { pid: number }).pid, process.pid);
});

test('release removes the lock file, and the lock can then be acquired again', async () => {
  const first = await acquireProfileLock(lockFile);
  await first.release();
  await first.release(); // idempotent
  await assert.rejects(stat(lockFile), { code: 'ENOENT' });
  await acquire();
  await stat(lockFile);
});

test('release leaves a lock file that is no longer ours', async () => {
  const lock = await acquireProfileLock(lockFile);
  const other = JSON.stringify({ pid: 1, started_at: '2026-01-01T00:00:00.000Z', start_time_ticks: null });
  await writeFile(lockFile, other);
  await lock.release();
  assert.equal(await readFile(lockFile, 'utf8'), other);
});
