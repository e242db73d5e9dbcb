/**
 * Crash safety of the events file: rounds of "listen, drive load, kill -9 at a random moment,
 * cleanup, restart", checking after every restart that every acknowledged record is stored exactly
 * once, nothing is duplicated and no torn line survives. The built CLI runs as a real process, the
 * emulator (in this process) plays Konnect.
 *
 * Reproduce a failure with the printed seed: CRASH_SEED=<seed> node scripts/run-tests.mjs --reliability crash-safety
 * (CRASH_ROUNDS=<n> changes the number of rounds).
 */
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { call } from '../support/api.js';
import { runCliAsync, startCli, type CliProcess } from '../support/cli.js';
import { eventually, listenerPort } from '../support/wait.js';

const AUTH = 'Bearer crash-secret';
const PROFILE = 'crash';
const ROUNDS = Number(process.env.CRASH_ROUNDS ?? 20);
const SEED = process.env.CRASH_SEED !== undefined ? Number(process.env.CRASH_SEED) : randomInt(2 ** 31);
/** Upper bound of records sent per round, to keep the whole file well under the time limit. */
const RECORDS_PER_ROUND = 3000;
const CONNECTIONS = 4;
const RECORD_BYTES = 400;
const KILL_MIN_MS = 3;
const KILL_MAX_MS = 400;
/** One of our records: fixed layout and length, so any torn or merged line fails the match. */
const RECORD_LINE = /^\{"crash":"(r\d{2}-s\d{5})","pad":"x+"\}$/;

/** mulberry32: a small seeded PRNG, so a failing run can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function recordId(round: number, seq: number): string {
  return `r${String(round).padStart(2, '0')}-s${String(seq).padStart(5, '0')}`;
}

function record(id: string): string {
  const head = `{"crash":"${id}","pad":"`;
  return `${head}${'x'.repeat(RECORD_BYTES - head.length - 2)}"}`;
}

let emulator: Emulator;
let home: string;
let dataDir: string;
let eventsFile: string;

function env(): NodeJS.ProcessEnv {
  return { XDG_CONFIG_HOME: join(home, 'config'), HOME: home, KONNECT_TOKEN: '' };
}

const connection = (): string[] => ['--base-url', emulator.baseUrl, '--pat', emulator.token, '--data-dir', dataDir, '--profile', PROFILE];

async function listenArgs(): Promise<{ args: string[]; url: URL }> {
  const port = await listenerPort();
  const url = new URL(`http://127.0.0.1:${port}/audit-logs`);
  return { url, args: ['listen', '--endpoint', url.href, '--listen-address', `127.0.0.1:${port}`, '--authorization', AUTH, ...connection()] };
}

/** Starts a listener and waits until it serves with the webhook bound (it prints the start-up block last). */
async function startListener(): Promise<Live> {
  for (let attempt = 1; ; attempt++) {
    const { args, url } = await listenArgs();
    const proc = startCli(args, { env: env() });
    const serving = await eventually('the listener to serve or exit', () => (proc.stdout.includes('Press Ctrl+C to stop.') ? true : proc.child.exitCode !== null ? 'exited' : undefined), 20_000);
    if (serving === true) return { proc, url };
    // A port another process took meanwhile fails before anything else happens: take another.
    if (attempt === 3 || !proc.stderr.includes('address already in use')) throw new Error(`listener exited ${proc.child.exitCode}: ${proc.stderr}`);
  }
}

async function assertKonnectClean(): Promise<void> {
  assert.deepEqual(emulator.inspect().destinations, []);
  const webhook = await call<{ endpoint: string; enabled: boolean }>(emulator.baseUrl, 'GET', '/v2/audit-log-webhook', { token: emulator.token });
  assert.equal(webhook.body.enabled, false);
  assert.equal(webhook.body.endpoint, 'unconfigured');
}

/** What the test knows about every record it sent. */
const sent = new Set<string>();
const acked = new Set<string>();

/**
 * The store invariants: the file ends with "\n", every line is complete (one of our records in
 * its exact layout, or a JSON record Konnect delivered), every acknowledged record is there exactly
 * once, and no record of ours is there twice. Returns how many of our records are stored.
 */
function checkStore(context: string): number {
  const text = existsSync(eventsFile) ? readFileSync(eventsFile, 'utf8') : '';
  assert.ok(text === '' || text.endsWith('\n'), `${context}: the events file ends in a torn line: ${JSON.stringify(text.slice(text.lastIndexOf('\n') + 1, text.lastIndexOf('\n') + 80))}`);
  const counts = new Map<string, number>();
  const lines = text.split('\n');
  lines.pop();
  lines.forEach((line, index) => {
    const mine = RECORD_LINE.exec(line);
    if (mine && line.length === RECORD_BYTES) {
      const id = mine[1]!;
      assert.ok(sent.has(id), `${context}: line ${index + 1} holds ${id}, which was never sent`);
      counts.set(id, (counts.get(id) ?? 0) + 1);
      return;
    }
    // Anything else must be a whole record Konnect delivered (JSON), never a piece of ours.
    assert.ok(!line.includes('"crash"'), `${context}: line ${index + 1} is a torn or merged record: ${line.slice(0, 120)}`);
    try {
      JSON.parse(line);
    } catch {
      assert.fail(`${context}: line ${index + 1} is not a complete record: ${line.slice(0, 120)}`);
    }
  });
  const duplicates = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
  assert.deepEqual(duplicates, [], `${context}: records stored more than once`);
  const lost = [...acked].filter((id) => !counts.has(id));
  assert.deepEqual(lost, [], `${context}: acknowledged records missing`);
  return counts.size;
}

/** One POST; resolves with the status as soon as the answer's head arrives (a 202 is only sent after fsync). */
function post(agent: http.Agent, url: URL, body: Buffer, gzip: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: { Authorization: AUTH, 'Content-Length': body.length, ...(gzip ? { 'Content-Encoding': 'gzip' } : {}) },
      },
      (res) => {
        resolve(res.statusCode ?? 0);
        res.on('error', () => {}).resume();
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

interface RoundLoad {
  requests: number;
  acknowledged: number;
  failed: number;
  /** Records sent whose request got no 2xx (they may or may not be stored). */
  unacknowledgedRecords: number;
}

/**
 * Drives load from CONNECTIONS keep-alive connections (single records and gzip batches of 50-500)
 * until `killed()` or the round's record budget is spent; every 2xx adds the request's records to `acked`.
 */
async function driveLoad(url: URL, round: number, random: () => number, killed: () => boolean): Promise<RoundLoad> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const load: RoundLoad = { requests: 0, acknowledged: 0, failed: 0, unacknowledgedRecords: 0 };
  let next = 0;
  const worker = async () => {
    while (!killed() && next < RECORDS_PER_ROUND) {
      const size = Math.min(random() < 0.5 ? 1 : 50 + Math.floor(random() * 451), RECORDS_PER_ROUND - next);
      const ids = Array.from({ length: size }, (_, i) => recordId(round, next + i));
      next += size;
      for (const id of ids) sent.add(id);
      const text = ids.map(record).join('\n');
      const gzip = size > 1;
      load.requests++;
      let status = 0;
      try {
        status = await post(agent, url, gzip ? gzipSync(text) : Buffer.from(text), gzip);
      } catch {
        // The listener died under this request: not acknowledged.
      }
      if (status >= 200 && status < 300) {
        for (const id of ids) acked.add(id);
        load.acknowledged++;
      } else {
        if (status !== 0) assert.fail(`round ${round}: unexpected status ${status} from a live listener`);
        load.failed++;
        load.unacknowledgedRecords += size;
        return; // the listener is gone; further requests would only be refused
      }
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  agent.destroy();
  return load;
}

before(async () => {
  emulator = await startEmulator({ port: 0, timeScale: 0.01, flushMs: 100, generatorThreads: 0 });
  home = mkdtempSync(join(tmpdir(), 'konnect-audit-crash-'));
  dataDir = join(home, 'data');
  eventsFile = join(dataDir, PROFILE, 'events.jsonl');
});

interface Live {
  readonly proc: CliProcess;
  readonly url: URL;
}
/** The running listener, for the after() hook. */
let live: Live | undefined;

after(async () => {
  // A failed round may leave its listener running.
  if (live && live.proc.child.exitCode === null && live.proc.child.signalCode === null) live.proc.child.kill('SIGKILL');
  await emulator.stop();
  rmSync(home, { recursive: true, force: true });
});

test(`kill -9 under load, ${ROUNDS} rounds: acknowledged records survive exactly once, torn tails are repaired, Konnect ends clean`, { timeout: 240_000 }, async (t) => {
  const seedLine = `crash-safety seed ${SEED} (replay with CRASH_SEED=${SEED})`;
  console.log(seedLine);
  t.diagnostic(seedLine);
  const random = prng(SEED);
  const started = Date.now();
  const stats = { tornNatural: 0, tornInjected: 0, acknowledgedRecords: 0, unacknowledgedStored: 0, requests: 0 };
  let current = await startListener();
  live = current;

  for (let round = 0; round < ROUNDS; round++) {
    const ctx = `seed ${SEED}, round ${round}`;
    const { proc, url } = current;
    // Between a few ms and a few hundred ms after the load starts: half log-uniform (early kills), half uniform.
    const killAfterMs = random() < 0.5 ? KILL_MIN_MS * (KILL_MAX_MS / KILL_MIN_MS) ** random() : KILL_MIN_MS + random() * (KILL_MAX_MS - KILL_MIN_MS);
    const ackedBefore = acked.size;
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      proc.child.kill('SIGKILL');
    }, killAfterMs);
    const load = await driveLoad(url, round, random, () => killed);
    assert.equal(await proc.exited(), 'SIGKILL', `${ctx}: ${proc.stderr}`);
    clearTimeout(timer);
    stats.requests += load.requests;
    stats.acknowledgedRecords += acked.size - ackedBefore;

    // A torn last line can only be a write that was never acknowledged.
    const text = readFileSync(eventsFile, 'utf8');
    const tail = text.slice(text.lastIndexOf('\n') + 1);
    if (tail !== '') {
      stats.tornNatural++;
      const id = /"crash":"(r\d{2}-s\d{5})"/.exec(tail)?.[1];
      assert.ok(id === undefined || !acked.has(id), `${ctx}: the torn last line is acknowledged record ${id}`);
    }

    if (round === 1) {
      // Without cleanup a restart is refused, naming the command that removes the leftover.
      const refused = await runCliAsync((await listenArgs()).args, { env: env() });
      assert.equal(refused.status, 1, `${ctx}: ${refused.stderr}`);
      assert.ok(refused.stderr.includes(`konnect-audit cleanup --profile ${PROFILE}`), `${ctx}: ${refused.stderr}`);
    }
    // A kill in the middle of write() is rare; make sure the repair is exercised in some rounds.
    if (readFileSync(eventsFile, 'utf8').endsWith('\n') && random() < 0.35) {
      appendFileSync(eventsFile, record(`r${String(round).padStart(2, '0')}-s99999`).slice(0, 1 + Math.floor(random() * (RECORD_BYTES - 2))));
      stats.tornInjected++;
    }

    const cleanup = await runCliAsync(['cleanup', ...connection()], { env: env() });
    assert.equal(cleanup.status, 0, `${ctx}: cleanup failed: ${cleanup.stderr}`);
    await assertKonnectClean();

    current = await startListener();
    live = current;
    // Deliveries of Konnect's own audit records to the new listener end before the file is read.
    await emulator.idle();
    const stored = checkStore(`${ctx} (after restart)`);
    stats.unacknowledgedStored = stored - acked.size;
    t.diagnostic(`round ${round}: kill after ${killAfterMs.toFixed(0)} ms, ${load.requests} requests (${load.acknowledged} acknowledged), ${acked.size - ackedBefore} records acknowledged, ${load.unacknowledgedRecords} not${tail !== '' ? ', torn tail' : ''}`);
  }

  current.proc.child.kill('SIGINT');
  assert.equal(await current.proc.exited(), 0, current.proc.stderr);
  await emulator.idle();
  checkStore(`seed ${SEED}, after the final clean stop`);
  await assertKonnectClean();
  t.diagnostic(
    `${ROUNDS} rounds in ${((Date.now() - started) / 1000).toFixed(1)} s: ${stats.requests} requests, ${stats.acknowledgedRecords} records acknowledged, ${stats.unacknowledgedStored} stored without acknowledgement, torn tails ${stats.tornNatural} from kills + ${stats.tornInjected} injected`,
  );
});
