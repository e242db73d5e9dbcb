/**
 * Kong's "Collect Konnect audit logs with SumoLogic" tutorial, end to end against the in-process
 * emulator, with a local HTTP server standing in for SumoLogic's HTTPS collector:
 *
 *   1. `webhook set` with the tutorial's fields (endpoint, "Bearer $SIEM_TOKEN", cef, enabled);
 *   2. its validation call (GET /v2/control-planes) shows up at the collector as a CEF line like
 *      the tutorial's, as do generated events; every signature checks out (`verify --jwks`);
 *   3. the collector rotates its key (401) and then fails (500): the webhook turns inactive and
 *      `status` says why and what to do;
 *   4. following the advice (`webhook set --authorization`, then the printed `replay --since`)
 *      recovers every record the collector refused;
 *   5. `webhook disable` stops delivery.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, test } from 'node:test';
import { startEmulator, type Emulator } from '../src/emulator/index.js';
import { KonnectClient } from '../src/konnect/client.js';
import { call } from './support/api.js';
import { runCliAsync } from './support/cli.js';
import { eventually } from './support/wait.js';

const SIEM_TOKEN = 'sumo-access-key-1';
const ROTATED_TOKEN = 'sumo-access-key-2';
let emulator: Emulator;
let home: string;
let konnect: KonnectClient;
let collector: Server;
/** $SIEM_ENDPOINT: SumoLogic's HTTP source URL shape. */
let siemEndpoint: string;

/** The stand-in collector's state: the key it accepts, a forced failure, and what it kept or refused. */
const siem = {
  expected: `Bearer ${SIEM_TOKEN}`,
  failWith: undefined as number | undefined,
  accepted: [] as string[],
  refused: [] as string[],
};

/** The tutorial's environment: KONNECT_TOKEN, and the region URL as $KONNECT_CONTROL_PLANE_URL. */
function cli(args: string[]) {
  return runCliAsync([...args, '--base-url', emulator.baseUrl], {
    env: { XDG_CONFIG_HOME: join(home, 'config'), HOME: home, KONNECT_TOKEN: emulator.token, KONNECT_AUDIT_PROFILE: '' },
  });
}

async function ok(args: string[]): Promise<string> {
  const r = await cli(args);
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}${r.stdout}`);
  assert.ok(!(r.stdout + r.stderr).includes('sumo-access-key'), `the SIEM key was printed: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

const sigOf = (line: string) => / sig=(\S+)$/.exec(line)?.[1];

before(async () => {
  emulator = await startEmulator({ port: 0, timeScale: 0.01, flushMs: 50 });
  home = mkdtempSync(join(tmpdir(), 'konnect-audit-siem-'));
  konnect = new KonnectClient({ baseUrl: emulator.baseUrl, token: emulator.token });
  collector = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const gzip = req.headers['content-encoding'] === 'gzip' || (raw[0] === 0x1f && raw[1] === 0x8b);
      const lines = (gzip ? gunzipSync(raw) : raw).toString('utf8').split('\n').filter((l) => l !== '');
      let status = 200;
      if (req.method !== 'POST' || req.url !== '/receiver/v1/http/XYZ') status = 404;
      else if (req.headers.authorization !== siem.expected) status = 401;
      else if (siem.failWith !== undefined) status = siem.failWith;
      (status === 200 ? siem.accepted : siem.refused).push(...lines);
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  siemEndpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}/receiver/v1/http/XYZ`;
});
after(async () => {
  await emulator.stop();
  await new Promise((resolve) => collector.close(resolve));
  rmSync(home, { recursive: true, force: true });
});

test("SumoLogic tutorial: webhook set, CEF at the collector, inactive on failure, status advice, replay recovers, disable stops", async () => {
  // 1. The tutorial's PATCH: endpoint, enabled, "Bearer $SIEM_TOKEN", cef.
  const set = JSON.parse(await ok(['webhook', 'set', '--endpoint', siemEndpoint, '--authorization', `Bearer ${SIEM_TOKEN}`, '--log-format', 'cef', '--enabled', '-o', 'json'])) as Record<string, unknown>;
  assert.deepEqual([set.endpoint, set.enabled, set.log_format, set.authorization], [siemEndpoint, true, 'cef', '<set>']);

  // 2. Validate: GET /v2/control-planes triggers an Authz.control-planes log at the collector, like the tutorial's sample.
  assert.equal((await call(emulator.baseUrl, 'GET', '/v2/control-planes', { token: emulator.token })).status, 200);
  await emulator.idle();
  const validation = await eventually('the validation call at the collector', () => siem.accepted.find((l) => l.includes('|Authz.control-planes|')));
  assert.match(validation, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ konghq\.com CEF:0\|KongInc\|Konnect\|1\.0\|konnect\|Authz\.control-planes\|1\|rt=\d+ .*action=list granted=true .*sig=[\w-]+$/);
  await emulator.generate({ count: 30 });
  await emulator.idle();
  await eventually('31 records at the collector', () => siem.accepted.length >= 31);
  assert.equal(siem.refused.length, 0);
  assert.ok(siem.accepted.every((l) => l.includes(' CEF:0|KongInc|')), 'every record is CEF');

  // Every record's signature checks out against the region's keys.
  writeFileSync(join(home, 'jwks.json'), JSON.stringify(emulator.jwks()));
  writeFileSync(join(home, 'sumologic.cef'), siem.accepted.join('\n') + '\n');
  const verified = JSON.parse(await ok(['verify', '--jwks', join(home, 'jwks.json'), join(home, 'sumologic.cef'), '-o', 'json'])) as Record<string, unknown>;
  assert.deepEqual([verified.valid, verified.invalid, verified.unsigned], [siem.accepted.length, 0, 0]);

  const active = await ok(['webhook', 'status']);
  assert.match(active, /^status: +active \(enabled\)$/m);
  assert.match(active, /^last response: 200 OK$/m);

  // 3. The SIEM's access key is rotated: deliveries are refused (401, not retried) and the webhook turns inactive.
  siem.expected = `Bearer ${ROTATED_TOKEN}`;
  await emulator.generate({ count: 12 });
  await emulator.idle();
  await eventually('the webhook to turn inactive', async () => (await konnect.getWebhookStatus()).webhook_status === 'inactive');
  assert.ok(siem.refused.length >= 12);
  const screen = await ok(['status']);
  assert.match(screen, /^ {2}status: +inactive \(enabled\)$/m);
  assert.match(screen, /^ {2}last response: +401 Unauthorized$/m);
  assert.match(screen, /^ {2}why: the receiver refused the authorization \(401 Unauthorized\)/m);
  assert.match(screen, /^ {2}1\. give the webhook the authorization the receiver expects: konnect-audit webhook set --authorization VALUE$/m);
  const replayCommand = /^ {7}(konnect-audit replay --since \d+m)$/m.exec(screen)?.[1];
  assert.ok(replayCommand, screen);

  // A server error on top (retried 4 times, then given up): still inactive, and status says why.
  await ok(['webhook', 'set', '--authorization', `Bearer ${ROTATED_TOKEN}`]);
  siem.failWith = 500;
  await emulator.generate({ count: 5 });
  await emulator.idle();
  await eventually('the webhook to turn inactive again', async () => (await konnect.getWebhookStatus()).webhook_status === 'inactive');
  assert.match(await ok(['status']), /^ {2}why: the receiver failed \(500 Internal Server Error\) on every retry$/m);

  // 4. Fixed: follow the advice: the replay it printed re-sends every refused record.
  siem.failWith = undefined;
  const lost = new Set(siem.refused.map(sigOf));
  assert.ok(lost.size >= 17);
  const replay = await cli([...replayCommand.split(' ').slice(1), '--poll-interval', '100ms', '--settle', '0', '--data-dir', join(home, 'data')]);
  assert.equal(replay.status, 0, replay.stderr + replay.stdout);
  await emulator.idle();
  await eventually('every refused record at the collector', () => {
    const have = new Set(siem.accepted.map(sigOf));
    return [...lost].every((sig) => have.has(sig)) || undefined;
  });
  const recovered = await ok(['status']);
  assert.match(recovered, /^ {2}status: +active \(enabled\)$/m);
  assert.match(recovered, /^ {2}replay job: +completed, /m);
  assert.doesNotMatch(recovered, /What to do/);

  // 5. webhook disable stops delivery.
  assert.match(await ok(['webhook', 'disable']), /^Disabled the region's audit-log webhook/);
  const before = siem.accepted.length + siem.refused.length;
  await emulator.generate({ count: 5 });
  await emulator.idle();
  assert.equal(siem.accepted.length + siem.refused.length, before, 'records arrived after disable');
  assert.match(await ok(['webhook', 'status']), /^status: +active \(disabled\)$/m);
});
