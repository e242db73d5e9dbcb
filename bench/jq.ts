/**
 * `--jq` throughput against Debian's native jq and gojq, side by side in one run, on the same
 * 200,000 audit records (unsigned JSON, as the emulator renders them) for the three filters.
 * Native tools read the records from a file (`jq -c F < file > /dev/null`); ours runs the record
 * filter the listener uses, in batches of one 1 MiB webhook request (2,500 records).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePackages } from './support/debian.js';
import { startEmulator } from 'konnect-audit';
import { closeJq, RecordFilter } from '../src/jq/recordFilter.js';

export const FILTERS: Readonly<Record<string, string>> = {
  F1: '{ts:.event_ts, name, request:(.request // null)}',
  F2: 'select(.granted==false)',
  F3: 'select(.name|startswith("Authz."))|.principal_id',
};

export interface JqBenchRow {
  readonly filter: string;
  readonly tool: string;
  readonly records: number;
  readonly seconds: number;
  readonly recordsPerSecond: number;
}

/** jq and gojq from Debian, installed if missing. */
function ensureTools(): string[] {
  const present = ensurePackages({ jq: 'jq', gojq: 'gojq' });
  return ['jq', 'gojq'].filter((tool) => present.has(tool));
}

async function corpus(count: number): Promise<string[]> {
  const lines: string[] = [];
  const emulator = await startEmulator({ port: 0, sign: false, retainMax: 10, generatorThreads: 0, flushMs: 10, batchMax: 5000 });
  const http = await import('node:http');
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void import('node:zlib').then(({ gunzipSync }) => {
        for (const l of gunzipSync(Buffer.concat(chunks)).toString('utf8').split('\n')) if (l) lines.push(l);
        res.writeHead(202).end();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await fetch(`${emulator.baseUrl}/v2/audit-log-webhook`, {
    method: 'PATCH',
    headers: { Authorization: `Bearer ${emulator.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ endpoint: `http://127.0.0.1:${port}/`, log_format: 'json', enabled: true }),
  });
  await emulator.idle();
  lines.length = 0;
  await emulator.generate({ count });
  await emulator.idle();
  await emulator.stop();
  server.close();
  return lines;
}

export async function benchJq(scale: number): Promise<JqBenchRow[]> {
  const count = Math.round(200_000 * scale);
  const tools = ensureTools();
  const records = await corpus(count);
  const dir = mkdtempSync(join(tmpdir(), 'konnect-audit-jq-'));
  const file = join(dir, 'records.jsonl');
  writeFileSync(file, records.join('\n') + '\n');
  const rows: JqBenchRow[] = [];
  try {
    for (const [name, filter] of Object.entries(FILTERS)) {
      for (const tool of tools) {
        const version = execFileSync(tool, ['--version'], { encoding: 'utf8' }).trim().split('\n')[0];
        const input = openSync(file, 'r');
        const start = performance.now();
        const run = spawnSync(tool, ['-c', filter], { stdio: [input, 'ignore', 'inherit'] });
        const seconds = (performance.now() - start) / 1000;
        closeSync(input);
        if (run.status !== 0) throw new Error(`${tool} failed on ${name}`);
        rows.push({ filter: name, tool: `${version} (native)`, records: count, seconds, recordsPerSecond: count / seconds });
      }
      const compiled = await RecordFilter.compile({ expression: filter });
      const start = performance.now();
      for (let i = 0; i < records.length; i += 2500) await compiled.apply(records.slice(i, i + 2500));
      const seconds = (performance.now() - start) / 1000;
      rows.push({ filter: name, tool: compiled.usesFastPath ? 'konnect-audit --jq (compiled fast path)' : 'konnect-audit --jq (jq 1.8.2 wasm, batched)', records: count, seconds, recordsPerSecond: count / seconds });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await closeJq();
  }
  return rows;
}
