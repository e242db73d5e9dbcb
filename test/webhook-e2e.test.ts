/**
 * `webhook get|status|set|disable` and `destinations list|get|delete` end to end: the built CLI
 * against the in-process emulator, checking that the webhook's authorization is never printed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startEmulator, type Emulator } from '../src/emulator/index.js';
import { KonnectClient } from '../src/konnect/client.js';
import { runCliAsync, startCli } from './support/cli.js';
import { startReceiver, type TestReceiver } from './support/receiver.js';
import { freePort } from './support/wait.js';

const SECRET = 'Bearer sumo-secret-4b1d';
let emulator: Emulator;
let home: string;
let konnect: KonnectClient;
/** A receiver that accepts every delivery (200), so the webhook stays active. */
let receiver: TestReceiver;
let receiverUrl: string;

/** A file holding `content` (0600), for --authorization-file. */
function secretFile(name: string, content: string): string {
  const path = join(home, `secret-${name}`);
  writeFileSync(path, content, { mode: 0o600 });
  return path;
}

function cli(args: string[]) {
  return runCliAsync([...args, '--base-url', emulator.baseUrl, '--pat', emulator.token], {
    env: { XDG_CONFIG_HOME: join(home, 'config'), HOME: home, KONNECT_TOKEN: '', KONNECT_AUDIT_PROFILE: '' },
  });
}

/** Runs the CLI, expects exit 0 and no secret anywhere in its output. */
async function ok(args: string[]): Promise<string> {
  const r = await cli(args);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.ok(!(r.stdout + r.stderr).includes('sumo-secret'), `the secret was printed: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

before(async () => {
  emulator = await startEmulator({ port: 0, timeScale: 0.01, flushMs: 50 });
  home = mkdtempSync(join(tmpdir(), 'konnect-audit-webhook-'));
  konnect = new KonnectClient({ baseUrl: emulator.baseUrl, token: emulator.token });
  receiver = await startReceiver({ defaultStatus: 200 });
  receiverUrl = receiver.url;
});
after(async () => {
  await emulator.stop();
  await receiver.close();
  rmSync(home, { recursive: true, force: true });
});

describe('webhook', () => {
  test('get on an unconfigured region says so; status is unconfigured', async () => {
    const text = await ok(['webhook', 'get']);
    assert.match(text, /not configured/);
    const json = JSON.parse(await ok(['webhook', 'get', '-o', 'json'])) as Record<string, unknown>;
    assert.equal(json.endpoint, 'unconfigured');
    assert.equal(json.authorization, '<none>');
    const status = JSON.parse(await ok(['webhook', 'status', '-o', 'json'])) as Record<string, unknown>;
    assert.equal(status.webhook_status, 'unconfigured');
  });

  test('invalid values are refused before any call (exit 2), and nothing changes', async () => {
    const cases: [string[], RegExp][] = [
      [['--endpoint', 'ftp://example.com/x', '--authorization', SECRET], /--endpoint.*https:\/\/ or http:\/\/ URL/],
      [['--endpoint', 'not a url', '--authorization', SECRET], /--endpoint/],
      [['--endpoint', 'https://example.com/x', '--authorization', ''], /--authorization.*must not be empty/],
      [['--endpoint', 'https://example.com/x', '--log-format', 'xml'], /--log-format.*cef, json, cps/],
      [['--enabled=maybe'], /--enabled.*true or false/],
      [[], /nothing to set/],
      [['--authorization', 'Bearer a\r\nX-Injected: 1'], /--authorization.*line break/],
      [['--authorization', SECRET, '--authorization-file', secretFile('both', `${SECRET}\n`)], /--authorization or --authorization-file, not both/],
      [['--authorization-file', join(home, 'missing')], /--authorization-file.*cannot read it \(ENOENT\)/],
      [['--authorization-file', secretFile('empty', '\n')], /--authorization-file.*the file is empty/],
      [['--authorization-file', secretFile('two-lines', `${SECRET}\nsecond\n`)], /--authorization-file.*more than one line/],
      [['--authorization-file', secretFile('huge', 'x'.repeat(20_000))], /--authorization-file.*longer than 16384 bytes/],
    ];
    for (const [args, message] of cases) {
      // A base URL where nothing listens: exit 2 proves no call was attempted (a call would be exit 1).
      const r = await runCliAsync(['webhook', 'set', ...args, '--base-url', `http://127.0.0.1:${await freePort()}`, '--pat', 'x']);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.ok(!r.stderr.includes('sumo-secret'), `the secret was printed: ${r.stderr}`);
      assert.equal(r.stdout, '');
    }
    assert.equal((await konnect.getWebhook()).endpoint, 'unconfigured');
  });

  test("set (the tutorial's PATCH) then get reflects it; the secret is never printed", async () => {
    const endpoint = receiverUrl;
    const set = JSON.parse(await ok(['webhook', 'set', '--endpoint', endpoint, '--authorization', SECRET, '--log-format', 'json', '-o', 'json'])) as Record<string, unknown>;
    assert.deepEqual(Object.keys(set).sort(), ['authorization', 'enabled', 'endpoint', 'log_format', 'skip_ssl_verification', 'updated_at']);
    assert.deepEqual({ ...set, updated_at: undefined }, { endpoint, enabled: true, log_format: 'json', skip_ssl_verification: false, authorization: '<set>', updated_at: undefined });

    const text = await ok(['webhook', 'get']);
    assert.match(text, new RegExp(`^endpoint: +${endpoint}$`, 'm'));
    assert.match(text, /^enabled: +true$/m);
    assert.match(text, /^log_format: +json$/m);
    assert.match(text, /^authorization: +<not shown/m);
    const yaml = await ok(['webhook', 'get', '-o', 'yaml']);
    assert.match(yaml, /^---\nendpoint: /);

    await ok(['webhook', 'set', '--log-format', 'cef', '--skip-ssl-verification', '--enabled=false']);
    const got = JSON.parse(await ok(['webhook', 'get', '-o', 'json'])) as Record<string, unknown>;
    assert.deepEqual([got.endpoint, got.log_format, got.skip_ssl_verification, got.enabled, got.authorization], [endpoint, 'cef', true, false, '<unknown>']);
  });

  test('--authorization-file reads the value from a file or standard input (final newline dropped); Konnect then sends exactly it', async () => {
    const collector = await startReceiver({ defaultStatus: 200, path: '/siem' });
    const seen = () => collector.requests.map((r) => r.headers.authorization);
    try {
      const endpoint = collector.url;
      const fromFile = 'Bearer sumo-secret-from-file';
      await ok(['webhook', 'set', '--endpoint', endpoint, '--authorization-file', secretFile('token', `${fromFile}\r\n`), '--log-format', 'json']);
      await emulator.generate({ count: 2 });
      await emulator.idle();
      assert.ok(seen().length > 0, 'delivered to the collector');
      assert.deepEqual(new Set(seen()), new Set([fromFile]));

      const fromStdin = 'Splunk sumo-secret-from-stdin';
      const piped = startCli(['webhook', 'set', '--authorization-file', '-', '--base-url', emulator.baseUrl, '--pat', emulator.token], { env: { XDG_CONFIG_HOME: join(home, 'config'), HOME: home, KONNECT_TOKEN: '' } });
      piped.child.stdin.end(`${fromStdin}\n`);
      assert.equal(await piped.exited(), 0, piped.stderr);
      assert.ok(!(piped.stdout + piped.stderr).includes('sumo-secret'), piped.stdout);
      const before = seen().length;
      await emulator.generate({ count: 2 });
      await emulator.idle();
      assert.ok(seen().length > before, 'delivered again');
      assert.deepEqual(new Set(seen().slice(before)), new Set([fromStdin]));
      assert.equal((await konnect.getWebhook()).endpoint, endpoint, 'the endpoint is unchanged');
      await emulator.idle();
    } finally {
      // Back to the state the next test starts from.
      await konnect.updateWebhook({ endpoint: receiverUrl, enabled: false });
      await collector.close();
    }
  });

  test('status active, then disable', async () => {
    await ok(['webhook', 'set', '--enabled']);
    const status = JSON.parse(await ok(['webhook', 'status', '-o', 'json'])) as Record<string, unknown>;
    assert.deepEqual(Object.keys(status).sort(), ['last_attempt_at', 'last_response_code', 'last_response_message', 'webhook_enabled', 'webhook_status']);
    assert.equal(status.webhook_status, 'active');
    assert.equal(status.webhook_enabled, true);
    await emulator.generate({ count: 3 });
    await emulator.idle();
    const text = await ok(['webhook', 'status']);
    assert.match(text, /^status: +active \(enabled\)$/m);
    assert.match(text, /^last response: 200/m);

    assert.match(await ok(['webhook', 'disable']), /^Disabled the region's audit-log webhook/);
    assert.equal((await konnect.getWebhook()).enabled, false);
    const disabled = JSON.parse(await ok(['webhook', 'disable', '-o', 'json'])) as Record<string, unknown>;
    assert.equal(disabled.enabled, false);
    assert.match(await ok(['webhook', 'status']), /disabled: Konnect sends nothing/);
  });

  test('status inactive after failed deliveries says why, to make the endpoint reachable and the replay that recovers the gap', async () => {
    // Nothing listens on the endpoint: delivery fails and, retries exhausted, the webhook turns inactive.
    await ok(['webhook', 'set', '--endpoint', `http://127.0.0.1:${await freePort()}/gone`, '--authorization', SECRET, '--log-format', 'json']);
    await emulator.generate({ count: 5 });
    await emulator.idle();
    const text = await ok(['webhook', 'status']);
    assert.match(text, /^status: +inactive \(enabled\)$/m);
    assert.match(text, /^ {2}why: nothing answered/m);
    assert.match(text, /^ {2}1\. make the endpoint reachable/m);
    assert.match(text, /^ {7}konnect-audit replay --since \d+m$/m);
    await ok(['webhook', 'disable']);
  });
});

describe('destinations', () => {
  test('list, get, delete, with -o json shapes', async () => {
    assert.equal(await ok(['destinations', 'list']), 'No audit-log destinations.\n');
    const a = await konnect.createDestination({ name: 'siem-a', endpoint: 'https://siem.example.com/a', authorization: SECRET, log_format: 'json' });
    const b = await konnect.createDestination({ name: 'siem-b', endpoint: 'https://siem.example.com/b', authorization: SECRET, log_format: 'cef' });

    const text = (await ok(['destinations', 'list'])).trimEnd().split('\n');
    assert.match(text[0]!, /^ID +NAME +ENDPOINT +FORMAT +CREATED$/);
    assert.equal(text.length, 3);
    assert.match(text.find((l) => l.startsWith(a.id))!, new RegExp(`^${a.id} +siem-a +https://siem\\.example\\.com/a +json +${a.created_at.replace(/\./g, '\\.')}$`));

    const list = JSON.parse(await ok(['destinations', 'list', '-o', 'json'])) as Record<string, unknown>[];
    assert.deepEqual(list.map((d) => d.id).sort(), [a.id, b.id].sort());
    for (const d of list) assert.deepEqual(Object.keys(d).sort(), ['created_at', 'endpoint', 'id', 'log_format', 'name', 'skip_ssl_verification', 'updated_at']);

    assert.deepEqual(JSON.parse(await ok(['destinations', 'get', a.id, '-o', 'json'])), a);
    assert.match(await ok(['destinations', 'get', a.id]), /^name: +siem-a$/m);

    assert.equal(await ok(['destinations', 'delete', b.id]), `Deleted audit-log destination: ${b.id}\n`);
    assert.deepEqual(JSON.parse(await ok(['destinations', 'delete', a.id, '-o', 'json'])), { id: a.id, deleted: true });
    assert.deepEqual(await konnect.listDestinations(), []);
  });

  test('unknown id: a clear 404 message, exit 1', async () => {
    const id = '3b9f1a40-0000-4000-8000-000000000000';
    for (const command of ['get', 'delete']) {
      const r = await cli(['destinations', command, id]);
      assert.equal(r.status, 1, r.stderr);
      assert.equal(r.stderr, `error: no audit-log destination with id "${id}" (Konnect answered 404; list them with konnect-audit destinations list)\n`);
      assert.equal(r.stdout, '');
    }
  });

  test('deleting a destination bound to the webhook: a clear 409 message, exit 1, and the destination stays', async () => {
    const d = await konnect.createDestination({ name: 'bound', endpoint: 'https://siem.example.com/bound', authorization: SECRET, log_format: 'json' });
    await konnect.updateWebhookV3({ audit_log_destination_id: d.id, enabled: true });
    const r = await cli(['destinations', 'delete', d.id]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`^error: cannot delete audit-log destination ${d.id}: Konnect answered 409 \\(Destination is in use\\): a webhook`));
    assert.match(r.stderr, /Disable and unbind the webhook first/);
    assert.match(r.stderr, new RegExp(`konnect-audit cleanup --destination-id ${d.id}`));
    assert.equal((await konnect.getDestination(d.id)).id, d.id);

    // The webhook's view of a bound destination names it, still without any secret.
    const got = JSON.parse(await ok(['webhook', 'get', '-o', 'json'])) as Record<string, unknown>;
    assert.equal(got.audit_log_destination_id, d.id);

    // Following the advice works: unbind, then delete.
    await ok(['webhook', 'disable']);
    await konnect.deleteWebhookV3();
    await ok(['destinations', 'delete', d.id]);
  });
});

describe('webhook --portal-id (Dev Portal webhooks)', () => {
  const unknownPortal = '3b9f1a40-0000-4000-8000-00000000aaaa';

  test('get, set --destination-id, status, disable: the portal webhook and the destination it sends to', async () => {
    const portalId = emulator.addPortal({ name: 'developer portal' });
    const unconfigured = await ok(['webhook', 'get', '--portal-id', portalId]);
    assert.match(unconfigured, new RegExp(`^The audit-log webhook of Dev Portal ${portalId} is not configured .*--destination-id DESTINATION_ID$`, 'm'));
    assert.deepEqual(JSON.parse(await ok(['webhook', 'get', '--portal-id', portalId, '-o', 'json'])), {
      portal_id: portalId,
      enabled: false,
      audit_log_destination_id: null,
      destination: null,
    });

    const d = await konnect.createDestination({ name: 'portal-siem', endpoint: receiverUrl, authorization: SECRET, log_format: 'cps' });
    const set = JSON.parse(await ok(['webhook', 'set', '--portal-id', portalId, '--destination-id', d.id, '-o', 'json'])) as Record<string, unknown>;
    assert.deepEqual(set, {
      portal_id: portalId,
      enabled: true,
      audit_log_destination_id: d.id,
      destination: { id: d.id, name: 'portal-siem', endpoint: receiverUrl, log_format: 'cps', skip_ssl_verification: false },
    });
    const text = await ok(['webhook', 'get', '--portal-id', portalId]);
    assert.match(text, new RegExp(`^portal: +${portalId}$`, 'm'));
    assert.match(text, new RegExp(`^destination: +${d.id} \\(portal-siem\\)$`, 'm'));
    assert.match(text, new RegExp(`^endpoint: +${receiverUrl}$`, 'm'));
    assert.match(text, /^log_format: +cps$/m);
    assert.match(text, /^authorization: +<not shown: write-only, set on the destination>$/m);
    assert.match(await ok(['webhook', 'get', '--portal-id', portalId, '-o', 'yaml']), /^---\nportal_id: /);

    // The portal's authentication events reach the destination; its status is the portal's own.
    await emulator.generate({ count: 2, portalId });
    await emulator.idle();
    const status = JSON.parse(await ok(['webhook', 'status', '--portal-id', portalId, '-o', 'json'])) as Record<string, unknown>;
    assert.equal(status.portal_id, portalId);
    assert.equal(status.webhook_status, 'active');
    assert.equal(status.last_response_code, 200);
    assert.match(await ok(['webhook', 'status', '--portal-id', portalId]), new RegExp(`^portal: +${portalId}\nstatus: +active \\(enabled\\)$`, 'm'));

    assert.equal(await ok(['webhook', 'disable', '--portal-id', portalId]), `Disabled the audit-log webhook of Dev Portal ${portalId} (destination kept): ${d.id}\n`);
    assert.deepEqual(await konnect.getPortalWebhook(portalId), { audit_log_destination_id: d.id, enabled: false });
    assert.match(await ok(['webhook', 'status', '--portal-id', portalId]), new RegExp(`disabled: Konnect sends nothing\\. Enable it with konnect-audit webhook set --portal-id ${portalId} --enabled`));

    await konnect.deletePortalWebhook(portalId);
    await konnect.deleteDestination(d.id);
  });

  test('inline settings with --portal-id are refused, explaining destinations; bad ids are usage errors (exit 2, no call)', async () => {
    const portal = '3b9f1a40-0000-4000-8000-00000000bbbb';
    const cases: [string[], RegExp][] = [
      [['webhook', 'set', '--portal-id', portal, '--endpoint', 'https://siem.example.com/x', '--authorization', SECRET], /--endpoint, --authorization cannot be used with --portal-id: a Dev Portal webhook has no endpoint of its own.*Create the destination first/],
      [['webhook', 'set', '--portal-id', portal, '--log-format', 'cef'], /--log-format cannot be used with --portal-id/],
      [['webhook', 'set', '--portal-id', portal, '--authorization-file', '-'], /--authorization-file cannot be used with --portal-id/],
      [['webhook', 'set', '--portal-id', portal], /nothing to set: give --destination-id and\/or --enabled/],
      [['webhook', 'set', '--portal-id', portal, '--destination-id', 'dest-1'], /--destination-id.*expected a destination UUID/],
      [['webhook', 'set', '--destination-id', portal], /--destination-id is for a Dev Portal's webhook \(with --portal-id\)/],
      [['webhook', 'get', '--portal-id', 'not-a-uuid'], /--portal-id.*expected a portal UUID/],
      [['webhook', 'status', '--portal-id', 'not-a-uuid'], /--portal-id.*expected a portal UUID/],
      [['webhook', 'disable', '--portal-id', 'not-a-uuid'], /--portal-id.*expected a portal UUID/],
    ];
    for (const [args, message] of cases) {
      const r = await runCliAsync([...args, '--base-url', `http://127.0.0.1:${await freePort()}`, '--pat', 'x']);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.ok(!r.stderr.includes('sumo-secret'), `the secret was printed: ${r.stderr}`);
      assert.equal(r.stdout, '');
    }
  });

  test('an unknown portal is a clear 404 (exit 1); so is an unknown destination', async () => {
    const expected = `error: no Dev Portal with id "${unknownPortal}" in this region (Konnect answered 404; a portal's audit logs live in its own region: check --region or --base-url)\n`;
    for (const args of [['get'], ['status'], ['disable'], ['set', '--enabled']]) {
      const r = await cli(['webhook', ...args, '--portal-id', unknownPortal]);
      assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr, expected);
      assert.equal(r.stdout, '');
    }
    const portalId = emulator.addPortal({ name: 'p2' });
    const missing = '3b9f1a40-0000-4000-8000-00000000cccc';
    const r = await cli(['webhook', 'set', '--portal-id', portalId, '--destination-id', missing]);
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stderr, `error: no audit-log destination with id "${missing}" (Konnect answered 404; list them with konnect-audit destinations list)\n`);
    assert.deepEqual(await konnect.getPortalWebhook(portalId), { audit_log_destination_id: '', enabled: false });
  });
});
