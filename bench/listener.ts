/**
 * End to end: the emulator delivers gzip batches to `konnect-audit listen` (the built CLI, its own
 * process), which checks, gunzips, splits, appends and fsyncs them before answering 202. Records/s
 * from `generate` until the emulator has a 2xx for every record.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmulator } from 'konnect-audit';
import { freePort, until } from './support/wait.js';

export interface ListenerBenchRow {
  readonly name: string;
  readonly records: number;
  readonly seconds: number;
  readonly recordsPerSecond: number;
  readonly fsyncsPerSecond: number;
}

export async function benchListener(scale: number): Promise<ListenerBenchRow[]> {
  const count = Math.round(200_000 * scale);
  const dataDir = mkdtempSync(join(tmpdir(), 'konnect-audit-bench-'));
  const emulator = await startEmulator({ port: 0, sign: false, flushMs: 50, batchMax: 5000, retainMax: count + 20_000 });
  const port = await freePort();
  const cli = fileURLToPath(new URL('../dist/konnect-audit.mjs', import.meta.url));
  // The records are unsigned (signing caps the emulator near 35,000/s), so signature checks are off.
  const args = ['listen', '--base-url', emulator.baseUrl, '--pat', emulator.token, '--endpoint', `http://127.0.0.1:${port}/audit-logs`, '--listen-address', `127.0.0.1:${port}`, '--authorization', 'Bearer bench', '--data-dir', dataDir, '--verify', 'off'];
  const listener = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await until(() => emulator.inspect().regions.us!.webhook.enabled, 'the listener to bind the webhook', 15_000);
    await emulator.generate({ count: 20_000 });
    await emulator.idle();
    const before = emulator.inspect().regions.us!.delivery;
    const start = performance.now();
    await emulator.generate({ count });
    await emulator.idle();
    const seconds = (performance.now() - start) / 1000;
    const after = emulator.inspect().regions.us!.delivery;
    const delivered = after.recordsDelivered - before.recordsDelivered;
    if (delivered < count || after.recordsFailed > 0) throw new Error(`listener bench: ${delivered} of ${count} delivered, ${after.recordsFailed} failed`);
    const stored = readFileSync(join(dataDir, 'default', 'events.jsonl'), 'utf8').split('\n').length - 1;
    if (stored < count) throw new Error(`listener bench: only ${stored} records stored`);
    const batches = after.batchesDelivered - before.batchesDelivered;
    return [{ name: 'unsigned JSON, emulator → listen → events.jsonl (202 after fsync)', records: count, seconds, recordsPerSecond: count / seconds, fsyncsPerSecond: batches / seconds }];
  } finally {
    listener.kill('SIGINT');
    await new Promise((resolve) => listener.once('exit', resolve));
    await emulator.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
