/**
 * `npm run demo`: the whole flow on one machine. Starts the Konnect emulator, runs the calls of
 * Kong's SIEM tutorial against it, and prints the signed audit events that arrive at a small local
 * receiver, each checked against the emulator's JWKS.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { startEmulator } from '../src/emulator/index.js';
import { KonnectClient } from '../src/konnect/client.js';
import { importJwks, verifyRecord } from '../src/records/signing.js';

const RECEIVER_TOKEN = 'Bearer demo-siem-token';
const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const step = (s: string) => console.log(`\n${bold(`== ${s}`)}`);

const emulator = await startEmulator({ port: 0, timeScale: 0.2, flushMs: 500 });
const konnect = new KonnectClient({ baseUrl: emulator.baseUrl, token: emulator.token, userAgent: 'konnect-audit-demo' });
const keys = importJwks(await konnect.getJwks());
let received = 0;
let valid = 0;
let arrival: () => void = () => {};
/** How the receiver prints records: whole lines, shortened lines, or only counted (during replay polling). */
let show: 'full' | 'short' | 'count' = 'short';

const receiver = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    if (req.headers.authorization !== RECEIVER_TOKEN) {
      res.writeHead(401).end();
      return;
    }
    const body = req.headers['content-encoding']?.includes('gzip') ? gunzipSync(Buffer.concat(chunks)) : Buffer.concat(chunks);
    const lines = body.toString('utf8').split('\n').filter((l) => l.trim() !== '');
    for (const line of lines) {
      const verdict = verifyRecord(line, keys);
      received++;
      if (verdict === 'valid') valid++;
      if (show === 'full') console.log(`  [sig ${verdict}] ${line}`);
      else if (show === 'short') console.log(`  [sig ${verdict}] ${line.length > 160 ? `${line.slice(0, 157)}...` : line}`);
    }
    res.writeHead(202).end();
    arrival();
  });
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/audit-logs`;

async function delivered(what: string): Promise<void> {
  const before = received;
  await emulator.idle();
  if (received === before) {
    await new Promise<void>((resolve) => {
      arrival = resolve;
      setTimeout(resolve, 3000).unref();
    });
  }
  console.log(`  (${received - before} ${what})`);
}

console.log(bold('konnect-audit demo: an offline Konnect, a webhook receiver, signed audit events'));
console.log(`Emulator: ${emulator.baseUrl} (token ${emulator.token.slice(0, 12)}...)  Receiver: ${receiverUrl}`);

step('1. The region starts unconfigured: GET /v2/audit-log-webhook');
console.log(' ', JSON.stringify(await konnect.getWebhook()));

step('2. Point the webhook at the receiver, as in the SIEM tutorial: PATCH /v2/audit-log-webhook (JSON format)');
console.log(' ', JSON.stringify(await konnect.updateWebhook({ endpoint: receiverUrl, authorization: RECEIVER_TOKEN, log_format: 'json', enabled: true })));
await delivered('records: the PATCH itself was audited');

step('3. Validate: GET /v2/control-planes records an Authz.control-planes event');
show = 'full';
await konnect.listControlPlanes();
await delivered('records');
show = 'short';

step('4. A write: POST /v2/control-planes adds an access (Ingress) event');
await konnect.createControlPlane({ name: 'quickstart' });
await delivered('records');

step('5. Switch to CEF through a destination (v3): POST /v3/audit-log-destinations, PATCH /v3/audit-log-webhook');
const destination = await konnect.createDestination({ name: 'demo-cef', endpoint: receiverUrl, authorization: RECEIVER_TOKEN, log_format: 'cef' });
await konnect.updateWebhookV3({ audit_log_destination_id: destination.id, enabled: true });
await delivered('records');

step('6. Synthetic traffic from the emulator: 5 events (POST /_emulator/generate)');
await emulator.generate({ count: 5 });
await delivered('records');

step('7. Webhook status: GET /v2/audit-log-webhook/status');
console.log(' ', JSON.stringify(await konnect.getWebhookStatus()));

step('8. Replay the last minute: PUT /v2/audit-log-replay-job');
const now = Date.now();
show = 'count';
const beforeReplay = received;
const job = await konnect.putReplayJob({ start_at: new Date(now - 60_000).toISOString(), end_at: new Date(now).toISOString() });
console.log(`  status: ${job.status}`);
let last = job.status;
while (last !== 'completed' && last !== 'failed') {
  await new Promise((r) => setTimeout(r, 100));
  const current = (await konnect.getReplayJob()).status;
  if (current !== last) console.log(`  status: ${current}`);
  last = current;
}
await emulator.idle();
console.log(`  ${received - beforeReplay} records arrived meanwhile: the replayed range plus the polling calls' own events`);
console.log('  (replayed records repeat ones already received, byte for byte: a receiver dedupes them by sig)');
show = 'short';

step('9. Clean up: PATCH enabled=false, DELETE /v3/audit-log-webhook, DELETE the destination');
await konnect.updateWebhook({ enabled: false });
await konnect.deleteWebhookV3();
await konnect.deleteDestination(destination.id);
console.log(' ', JSON.stringify(await konnect.getWebhook()));

console.log(`\n${bold(`Done: ${received} records received, ${valid} with a valid Ed25519 signature, ${received - valid} without.`)}`);
await emulator.stop();
receiver.close();
process.exitCode = received > 0 && valid === received ? 0 : 1;
