/**
 * `konnect-audit status` end to end: the built CLI against the in-process emulator, with a local
 * receiver that fails (the webhook turns inactive and status says what to do) and is then fixed
 * (the next delivery turns it active again).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { startEmulator, type Emulator } from '../src/emulator/index.js';
import { KonnectClient } from '../src/konnect/client.js';
import { runCliAsync, startCli } from './support/cli.js';
import { startReceiver, type TestReceiver } from './support/receiver.js';
import { eventually, listenerPort } from './support/wait.js';

let emulator: Emulator;
let home: string;
let dataDir: string;
let konnect: KonnectClient;
/** Answers 500 (Konnect retries, then gives up: inactive) until the test fixes it. */
let receiver: TestReceiver;
let receiverUrl: string;

function status(args: string[] = []) {
  return runCliAsync(['status', '--data-dir', dataDir, '--base-url', emulator.baseUrl, '--pat', emulator.token, ...args], {
    env: { XDG_CONFIG_HOME: join(home, 'config'), HOME: home, KONNECT_TOKEN: '', KONNECT_AUDIT_PROFILE: '' },
  });
}

const record = (rtMs: number) => JSON.stringify({ event_class_id: 'konnect', name: 'Authz.control-planes', severity: 1, rt: rtMs, action: 'list', granted: true, sig: 'x' });

before(async () => {
  emulator = await startEmulator({ port: 0, timeScale: 0.01, flushMs: 50 });
  home = mkdtempSync(join(tmpdir(), 'konnect-audit-status-'));
  dataDir = join(home, 'data');
  konnect = new KonnectClient({ baseUrl: emulator.baseUrl, token: emulator.token });
  receiver = await startReceiver({ defaultStatus: 500 });
  receiverUrl = receiver.url;
});
after(async () => {
  await emulator.stop();
  await receiver.close();
  rmSync(home, { recursive: true, force: true });
});

describe('status', () => {
  test('unconfigured region, empty store: says how to configure the webhook; -o json has every section', async () => {
    const r = await status();
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^Konnect: region ${emulator.baseUrl}$`, 'm'));
    assert.match(r.stdout, /^ {2}webhook: +unconfigured$/m);
    assert.match(r.stdout, /^ {2}status: +unconfigured \(disabled\)$/m);
    assert.match(r.stdout, /^ {2}replay job: +none$/m);
    assert.match(r.stdout, /^ {2}listener: +none has run for this profile$/m);
    assert.match(r.stdout, /^ {2}records: +none \(no files yet\)$/m);
    assert.match(r.stdout, /^The region's webhook is not configured/m);
    assert.match(r.stdout, /konnect-audit webhook set --endpoint URL --authorization VALUE/);

    const json = JSON.parse((await status(['-o', 'json'])).stdout) as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(json).sort(), ['advice', 'generated_at', 'konnect', 'local', 'store']);
    assert.deepEqual(Object.keys(json.konnect!).sort(), ['base_url', 'replay_job', 'status', 'webhook']);
    assert.equal((json.konnect!.status as Record<string, unknown>).webhook_status, 'unconfigured');
    assert.deepEqual(json.konnect!.replay_job, { status: 'none', start_at: null, end_at: null, updated_at: null });
    assert.equal(json.store!.records, 0);
    assert.match((await status(['-o', 'yaml'])).stdout, /^---\ngenerated_at: /);
  });

  test('a failing receiver turns the webhook inactive: status shows it with the advice, then recovers to active', async () => {
    // A store with 3 records (one segment, gzip, and events.jsonl), the newest 10 minutes old.
    const now = Date.now();
    const profileDir = join(dataDir, 'default');
    mkdirSync(profileDir, { recursive: true });
    writeFileSync(join(profileDir, 'events-20260101T000000Z-20260101T010000Z.jsonl.gz'), gzipSync(`${record(now - 30 * 60_000)}\n${record(now - 20 * 60_000)}\n`));
    writeFileSync(join(profileDir, 'events.jsonl'), `${record(now - 10 * 60_000)}\n`);

    await konnect.updateWebhook({ endpoint: receiverUrl, authorization: 'Bearer siem-token', log_format: 'json', enabled: true });
    receiver.setDefaultStatus(500);
    await emulator.generate({ count: 4 });
    await emulator.idle();
    await eventually('the webhook to turn inactive', async () => (await konnect.getWebhookStatus()).webhook_status === 'inactive');

    const r = await status();
    assert.equal(r.status, 0, r.stderr);
    const out = r.stdout;
    assert.match(out, new RegExp(`^ {2}webhook: +${receiverUrl}$`, 'm'));
    assert.match(out, /^ {2}enabled: +true$/m);
    assert.match(out, /^ {2}log format: +json$/m);
    assert.match(out, /^ {2}skip TLS verify: +false$/m);
    assert.match(out, /^ {2}authorization: +not shown/m);
    assert.ok(!out.includes('siem-token'), 'the authorization was printed');
    assert.match(out, /^ {2}status: +inactive \(enabled\)$/m);
    assert.match(out, /^ {2}last attempt: +\d{4}-\d\d-\d\dT\S+ \((just now|\d+ s ago)\)$/m);
    assert.match(out, /^ {2}last response: +500 Internal Server Error$/m);
    assert.match(out, /^ {2}records: +3 \(counted\)$/m);
    assert.match(out, /^ {2}size: +\d+(\.\d)? (B|KiB) in 1 segment \+ events\.jsonl$/m);
    assert.match(out, /^ {2}newest record: +\S+ \(10 min ago\)$/m);
    // The advice: why, what to do, and the replay covering the gap from the newest stored record.
    assert.match(out, new RegExp(`^The webhook is inactive: the last delivery at \\S+ \\(.*\\) failed and Konnect stopped streaming to ${receiverUrl}\\.$`, 'm'));
    assert.match(out, /^ {2}why: the receiver failed \(500 Internal Server Error\) on every retry$/m);
    assert.match(out, /^ {2}1\. make http:\/\/127\.0\.0\.1:\d+\/audit-logs reachable: start the receiver behind it/m);
    assert.match(out, /from the newest stored record/);
    assert.match(out, /^ {7}konnect-audit replay --since 1[12]m$/m);

    const json = JSON.parse((await status(['-o', 'json'])).stdout) as { konnect: { status: Record<string, unknown> }; store: Record<string, unknown>; advice: string[] };
    assert.equal(json.konnect.status.webhook_status, 'inactive');
    assert.equal(json.konnect.status.last_response_code, 500);
    assert.equal(json.store.records, 3);
    assert.equal(json.store.segments, 1);
    assert.ok(json.advice.some((l) => /konnect-audit replay --since 1[12]m/.test(l)));

    // Fixed: the next batch is delivered and the webhook is active again, with nothing to do.
    receiver.setDefaultStatus(200);
    await emulator.generate({ count: 2 });
    await emulator.idle();
    await eventually('a delivery to the fixed receiver', () => receiver.requests.some((r) => r.status < 300));
    const fixed = await status();
    assert.equal(fixed.status, 0, fixed.stderr);
    assert.match(fixed.stdout, /^ {2}status: +active \(enabled\)$/m);
    assert.match(fixed.stdout, /^ {2}last response: +200 OK$/m);
    assert.doesNotMatch(fixed.stdout, /What to do|inactive/);
  });

  test('disabled: says so and how to enable', async () => {
    await konnect.updateWebhook({ enabled: false });
    const r = await status();
    assert.match(r.stdout, /^ {2}status: +active \(disabled\)$/m);
    assert.match(r.stdout, /^The webhook is disabled: Konnect sends nothing\. Enable it with konnect-audit webhook set --enabled$/m);
  });

  test('--portal-id: the portal webhook bound to a destination; an unknown portal is exit 1 with the local sections', async () => {
    const portalId = emulator.addPortal({ name: 'dev' });
    const d = await konnect.createDestination({ name: 'portal-siem', endpoint: receiverUrl, authorization: 'Bearer p', log_format: 'cef' });
    await konnect.updatePortalWebhook(portalId, { audit_log_destination_id: d.id, enabled: true });
    const r = await status(['--portal-id', portalId]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^Konnect: Dev Portal ${portalId} \\(`, 'm'));
    assert.match(r.stdout, new RegExp(`^ {2}webhook: +${receiverUrl}$`, 'm'));
    assert.match(r.stdout, new RegExp(`^ {2}destination: +${d.id} \\(portal-siem\\)$`, 'm'));
    assert.match(r.stdout, /^ {2}log format: +cef$/m);
    assert.match(r.stdout, /^ {2}status: +active \(enabled\)$/m);

    const unknown = await status(['--portal-id', '3b9f1a40-0000-4000-8000-000000000000']);
    assert.equal(unknown.status, 1, unknown.stderr);
    assert.match(unknown.stdout, /^ {2}error: +no Dev Portal with id 3b9f1a40-0000-4000-8000-000000000000 in this region \(404\)$/m);
    assert.match(unknown.stdout, /^Store: /m);

    const bad = await status(['--portal-id', 'nope']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--portal-id.*UUID/);
    await konnect.deletePortalWebhook(portalId);
    await konnect.deleteDestination(d.id);
  });

  test("a running konnect-audit listener: status shows it, that the webhook points at it, and its store", async () => {
    await konnect.deleteWebhookV3(); // the listener's start-up guard wants an unconfigured region
    const port = await listenerPort();
    const endpoint = `http://127.0.0.1:${port}/audit-logs`;
    const env = { XDG_CONFIG_HOME: join(home, 'config'), HOME: home, KONNECT_TOKEN: '', KONNECT_AUDIT_PROFILE: '' };
    const listener = startCli(
      ['listen', '-p', 'live', '--base-url', emulator.baseUrl, '--pat', emulator.token, '--endpoint', endpoint, '--listen-address', `127.0.0.1:${port}`, '--authorization', 'Bearer l', '--data-dir', dataDir, '-o', 'json'],
      { env },
    );
    try {
      await listener.firstLine();
      await emulator.generate({ count: 7 });
      await emulator.idle();
      const r = await status(['-p', 'live']);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^ {2}webhook: +${endpoint}$`, 'm'));
      assert.match(r.stdout, new RegExp(`^ {2}listener: +running, pid ${listener.child.pid}, since `, 'm'));
      assert.match(r.stdout, new RegExp(`^ {2}serves: +${endpoint}$`, 'm'));
      assert.match(r.stdout, /^ {2}webhook target: +this machine: the webhook points at a running listener$/m);
      // The 7 generated events, and those of the listener's own calls to Konnect (destination, webhook).
      assert.ok(Number(/^ {2}records: +(\d+) \(counted\)$/m.exec(r.stdout)?.[1]) >= 7, r.stdout);
      assert.match(r.stdout, /^ {2}size: +\d+\.\d KiB in events\.jsonl$/m);
      assert.match(r.stdout, /^ {2}status: +active \(enabled\)$/m);
    } finally {
      listener.child.kill('SIGTERM');
      await listener.exited();
    }
    const stopped = await status(['-p', 'live']);
    assert.match(stopped.stdout, /^ {2}listener: +not running \(last started /m);
    assert.match(stopped.stdout, /^ {2}webhook: +unconfigured$/m);
  });
});
