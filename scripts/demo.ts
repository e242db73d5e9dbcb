/**
 * `npm run demo`: the whole flow on one machine, offline. Starts the Konnect emulator, runs
 * `konnect-audit tail` against it (which creates a destination, binds the regional webhook and
 * streams every record it stores), makes the calls of Kong's tutorials, shows the signed audit
 * events arriving, stops the listener and shows that Konnect was left clean; then events happen
 * while nobody listens, and a restarted listener back-fills them with a replay job.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmulator } from '../src/emulator/index.js';
import { KonnectClient } from '../src/konnect/client.js';
import { importJwks, verifyRecord } from '../src/records/signing.js';

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s: string) => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);
const step = (s: string) => console.log(`\n${bold(`== ${s}`)}`);
const cli = fileURLToPath(new URL('./konnect-audit.mjs', import.meta.url));

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function until(check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('demo: timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const dataDir = mkdtempSync(join(tmpdir(), 'konnect-audit-demo-'));
const READ_ONLY = 'kpat_demo_read_only_token';
const emulator = await startEmulator({ port: 0, timeScale: 0.2, flushMs: 500, readOnlyTokens: [READ_ONLY] });
const konnect = new KonnectClient({ baseUrl: emulator.baseUrl, token: emulator.token, userAgent: 'konnect-audit-demo' });
const port = await freePort();
const endpoint = `http://127.0.0.1:${port}/audit-logs`;

console.log(bold('konnect-audit demo: an offline Konnect, the audit-log listener, signed audit events'));
console.log(`Emulator (as Konnect): ${emulator.baseUrl}   token: ${emulator.token.slice(0, 12)}...`);

step('1. Start the listener: konnect-audit tail --jq (one line per event)');
const args = [
  'tail',
  '--base-url', emulator.baseUrl,
  '--pat', emulator.token,
  '--endpoint', endpoint,
  '--listen-address', `127.0.0.1:${port}`,
  '--authorization', 'Bearer demo-secret',
  '--data-dir', dataDir,
  '--jq', '"\\(.event_ts)  \\(.name)  \\(.action // .act // .request)" + (if has("granted") then "  granted=\\(.granted)" else "" end) + (if has("status") then "  status=\\(.status)" else "" end)',
];
console.log(dim(`  konnect-audit ${args.map((a) => (/\s|["\\$]/.test(a) ? `'${a}'` : a)).join(' ').replace(emulator.token, '<token>')}`));
const tail = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
let printed = 0;
tail.stdout.setEncoding('utf8').on('data', (chunk: string) => {
  for (const line of chunk.split('\n').filter((l) => l !== '')) {
    printed++;
    console.log(`  ${JSON.parse(line) as string}`);
  }
});
await until(() => emulator.inspect().regions.us!.webhook.enabled);
async function shown(): Promise<void> {
  await emulator.idle();
  const delivered = emulator.inspect().regions.us!.delivery.recordsDelivered;
  await until(() => printed >= delivered);
}

const bound = await konnect.getWebhook();
console.log(`  the listener created destination ${bound.audit_log_destination_id} and enabled the regional webhook:`);
console.log(`  ${JSON.stringify(bound)}`);
console.log('  (its own set-up calls, and this GET, are audited too:)');
await shown();

step("2. The tutorial's validation call: GET /v2/control-planes (authentication + Authz.control-planes)");
await konnect.listControlPlanes();
await shown();

step('3. A write: POST /v2/control-planes adds an access (Ingress) event');
await konnect.createControlPlane({ name: 'quickstart' });
await shown();

step('4. A denied call: a read-only token tries to create a control plane (granted=false, status 403)');
await fetch(`${emulator.baseUrl}/v2/control-planes`, { method: 'POST', headers: { Authorization: `Bearer ${READ_ONLY}`, 'Content-Type': 'application/json' }, body: '{"name":"nope"}' });
await shown();

step('5. Synthetic traffic from the emulator: 8 events (POST /_emulator/generate)');
await emulator.generate({ count: 8 });
await shown();

step('6. Stop the listener (Ctrl+C): it releases the webhook and deletes its destination');
tail.kill('SIGINT');
const code = await new Promise<number | null>((resolve) => tail.once('close', (c) => resolve(c))); // 'close': every streamed line read
console.log(`  listener exited with code ${code}`);
console.log(`  GET /v2/audit-log-webhook -> ${JSON.stringify(await konnect.getWebhook())}`);
console.log(`  GET /v3/audit-log-destinations -> ${(await konnect.listDestinations()).length} destinations`);

step('7. The stored events: every line exactly as Konnect sent it, every signature valid');
const file = join(dataDir, 'default', 'events.jsonl');
const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
const keys = importJwks(await konnect.getJwks());
const valid = lines.filter((l) => verifyRecord(l, keys) === 'valid').length;
console.log(`  ${file}: ${lines.length} records, ${valid} with a valid Ed25519 signature`);
console.log(dim(`  first: ${lines[0]?.slice(0, 150)}...`));

step('8. Check them offline (konnect-audit verify) and query them (konnect-audit events -o table)');
const verifyRun = await runCli(['verify', '--data-dir', dataDir]);
console.log(indent(verifyRun.stdout));
const eventsRun = await runCli(['events', '--data-dir', dataDir, '--type', 'authorization', '-o', 'table']);
console.log(indent(eventsRun.stdout));

step('9. Nobody listening: Konnect keeps recording (12 more events), and keeps them 7 days');
await emulator.generate({ count: 12 });
console.log(`  GET /v2/audit-log-webhook -> enabled=${(await konnect.getWebhook()).enabled}: these events reach no one for now`);

step('10. Start the listener again: it finds the gap since the newest stored record and asks Konnect to replay it');
const listenArgs = ['listen', ...args.slice(1, args.indexOf('--jq'))];
console.log(dim(`  konnect-audit ${listenArgs.join(' ').replace(emulator.token, '<token>')}`));
const listener = spawn(process.execPath, [cli, ...listenArgs], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, KONNECT_TOKEN: '' } });
let backfilled = false;
listener.stderr.setEncoding('utf8').on('data', (chunk: string) => {
  for (const line of chunk.split('\n').filter((l) => l !== '')) {
    console.log(`  ${line}`);
    if (/back-fill: replay job completed/.test(line)) backfilled = true;
  }
});
await until(() => backfilled, 60_000);

step('11. One screen: konnect-audit status (webhook, delivery, replay job, listener, store)');
const statusRun = await runCli(['status', '--base-url', emulator.baseUrl, '--pat', emulator.token, '--data-dir', dataDir]);
console.log(indent(statusRun.stdout));

listener.kill('SIGINT');
const listenerCode = await new Promise<number | null>((resolve) => listener.once('exit', (c) => resolve(c)));
const after = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
const unique = new Set(after).size;
console.log(`\n  listener exited with code ${listenerCode}; ${file}: ${after.length} records (${after.length - lines.length} more: the 12 events and the audit events of every API call made while nobody listened, back-filled, then the new listener's own), ${unique} distinct`);
const reverify = await runCli(['verify', '--data-dir', dataDir]);
console.log(indent(reverify.stdout));

await emulator.stop();
rmSync(dataDir, { recursive: true, force: true });
const clean = (await Promise.resolve(emulator.inspect())).destinations.length === 0;
console.log(`\n${bold(`Done: ${printed} events streamed, ${after.length} stored (${after.length - lines.length} after the restart, back-fill included), each once, all verified; Konnect left ${clean ? 'clean' : 'NOT clean'}.`)}`);
const ok =
  code === 0 && lines.length > 0 && valid === lines.length && clean && verifyRun.status === 0 && eventsRun.status === 0 &&
  listenerCode === 0 && statusRun.status === 0 && reverify.status === 0 && unique === after.length && after.length >= lines.length + 12;
process.exitCode = ok ? 0 : 1;

/** Runs the CLI to completion (asynchronously: this process serves the emulator it talks to). */
function runCli(args: string[]): Promise<{ status: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, KONNECT_TOKEN: '' } });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.once('close', (status) => resolve({ status, stdout })); // 'close': all of stdout read
  });
}

function indent(text: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}
