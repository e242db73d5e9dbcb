/**
 * Emulator delivery rate: records generated, rendered, signed, batched, gzip-compressed and
 * delivered to a minimal receiver in another process, per second. Compared in the same run with
 * the machine's Ed25519 signing ceiling (OpenSSL through node:crypto, one core).
 */
import { spawn } from 'node:child_process';
import { sign, generateKeyPairSync } from 'node:crypto';
import { fileURLToPath } from 'node:url';
// The bundle in dist/, as users run it (npm run bench builds it first).
import { startEmulator } from 'konnect-audit';

export interface EmulatorBenchRow {
  readonly name: string;
  readonly records: number;
  readonly seconds: number;
  readonly recordsPerSecond: number;
}

async function startMinimalReceiver(): Promise<{ url: string; count(): Promise<number>; stop(): void }> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./minimal-receiver.mjs', import.meta.url))], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(d.toString().trim())));
  const base = `http://127.0.0.1:${port}`;
  return {
    url: `${base}/audit-logs`,
    count: async () => ((await (await fetch(base)).json()) as { records: number }).records,
    stop: () => child.kill('SIGTERM'),
  };
}

async function deliveryRun(name: string, count: number, format: 'json' | 'cef', sign: boolean): Promise<EmulatorBenchRow> {
  const receiver = await startMinimalReceiver();
  const emulator = await startEmulator({ port: 0, sign, flushMs: 50, batchMax: 5000, retainMax: count + 20_000 });
  try {
    const response = await fetch(`${emulator.baseUrl}/v2/audit-log-webhook`, {
      method: 'PATCH',
      headers: { Authorization: `Bearer ${emulator.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ endpoint: receiver.url, authorization: 'Bearer bench', log_format: format, enabled: true }),
    });
    if (!response.ok) throw new Error(`PATCH failed: ${response.status}`);
    // Warm up: start the generator threads and JIT-compile the paths before the clock runs.
    await emulator.generate({ count: 20_000 });
    await emulator.idle();
    const before = await receiver.count();
    const start = performance.now();
    await emulator.generate({ count });
    await emulator.idle();
    const seconds = (performance.now() - start) / 1000;
    const delivered = (await receiver.count()) - before;
    if (delivered !== count) throw new Error(`${name}: delivered ${delivered} of ${count}`);
    return { name, records: count, seconds, recordsPerSecond: count / seconds };
  } finally {
    await emulator.stop();
    receiver.stop();
  }
}

/** Ed25519 signatures per second on one core for a 400-byte record (the signing ceiling). */
function signingCeiling(): EmulatorBenchRow {
  const { privateKey } = generateKeyPairSync('ed25519');
  const message = Buffer.alloc(400, 0x61);
  const n = 20_000;
  const start = performance.now();
  for (let i = 0; i < n; i++) sign(null, message, privateKey);
  const seconds = (performance.now() - start) / 1000;
  return { name: 'Ed25519 sign only (node:crypto, 400-byte records, 1 core)', records: n, seconds, recordsPerSecond: n / seconds };
}

export async function benchEmulator(scale: number): Promise<EmulatorBenchRow[]> {
  const n = Math.round(200_000 * scale);
  return [
    signingCeiling(),
    await deliveryRun('unsigned JSON, generated and delivered', n, 'json', false),
    await deliveryRun('unsigned CEF, generated and delivered', n, 'cef', false),
    await deliveryRun('signed JSON, generated and delivered', Math.round(n / 2), 'json', true),
    await deliveryRun('signed CEF, generated and delivered', Math.round(n / 2), 'cef', true),
  ];
}
