/**
 * `npm run bench`: runs every benchmark side by side and prints Markdown tables to paste into
 * BENCHMARKS.md, ending with the goals of the listener, each marked met or missed.
 * `BENCH_SCALE=0.1 npm run bench` for a quick run; `BENCH_ONLY=ingest,memory` runs some sections
 * (emulator, e2e, jq, ingest, memory, startup, events, dedupe).
 */
import os from 'node:os';
import { benchDedupe } from './dedupe.js';
import { benchEmulator } from './emulator.js';
import { benchEvents } from './events.js';
import { benchBatches, benchPosts, benchSteady } from './ingest.js';
import { benchJq, FILTERS } from './jq.js';
import { benchListener } from './listener.js';
import { benchIdle, benchSustained } from './memory.js';
import { ensurePackages } from './support/debian.js';
import { recordBytes } from './support/wrk.js';
import { benchStartup } from './startup.js';

const scale = Number(process.env.BENCH_SCALE ?? '1');
const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());
const wanted = (section: string) => !only || only.includes(section);
const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const int = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => n.toFixed(2);
const mb = (n: number) => n.toFixed(1);

interface Goal {
  readonly goal: string;
  readonly measured: string;
  readonly met: boolean;
}
const goals: Goal[] = [];

console.log(`# konnect-audit benchmarks, ${new Date().toISOString().slice(0, 10)}`);
console.log(`Machine: ${os.cpus().length} x ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`);
console.log(`Command: BENCH_SCALE=${scale} npm run bench${only ? ` (BENCH_ONLY=${only.join(',')})` : ''}\n`);

const tools = ensurePackages({ wrk: 'wrk', hyperfine: 'hyperfine', 'nginx-light': 'nginx', 'libnginx-mod-http-echo': '/usr/lib/nginx/modules/ngx_http_echo_module.so' });

if (wanted('emulator')) {
  console.log('## Emulator delivery to a minimal receiver (separate process)\n');
  console.log('| run | records | seconds | records/s |');
  console.log('|---|---:|---:|---:|');
  for (const row of await benchEmulator(scale)) console.log(`| ${row.name} | ${row.records} | ${row.seconds.toFixed(2)} | ${int(row.recordsPerSecond)} |`);
}

if (wanted('ingest') && tools.has('wrk')) {
  console.log(`\n## Ingest: single-record posts (${recordBytes()}-byte JSON records, wrk, 50 connections)\n`);
  console.log('| server | requests | requests/s | vs minimal node | p50 ms | p99 ms | CPU cores | CPU µs/request | peak RSS MB |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  const rows = await benchPosts(scale);
  const floor = rows.find((r) => r.target.startsWith('minimal node'))!;
  for (const r of rows) {
    console.log(`| ${r.target} | ${int(r.requests)} | ${int(r.requestsPerSecond)} | ${(r.requestsPerSecond / floor.requestsPerSecond).toFixed(2)} | ${ms(r.p50Ms)} | ${ms(r.p99Ms)} | ${r.cpuCores.toFixed(2)} | ${r.cpuMicrosPerRequest.toFixed(0)} | ${mb(r.peakRssMb)} |`);
  }
  const listener = rows.find((r) => r.target === 'konnect-audit listen')!;
  const ratio = listener.requestsPerSecond / floor.requestsPerSecond;
  const durable = rows.find((r) => r.target.includes('O_DSYNC'));
  const durableNote = durable ? `; the durable floor, group-committed O_DSYNC appends with no checks: ${(durable.requestsPerSecond / floor.requestsPerSecond).toFixed(2)} ×` : '';
  goals.push({ goal: 'single-record posts ≥ 0.80 × the minimal node receiver (checks, fsync, 202 after fsync)', measured: `${ratio.toFixed(2)} × (${int(listener.requestsPerSecond)} vs ${int(floor.requestsPerSecond)} requests/s${durableNote})`, met: ratio >= 0.8 });

  console.log('\n## Ingest: 1 MiB gzip batches as Konnect sends them (4 connections)\n');
  console.log('| server | records | batches | seconds | records/s | peak RSS MB |');
  console.log('|---|---:|---:|---:|---:|---:|');
  const batches = await benchBatches(scale);
  for (const r of batches) console.log(`| ${r.target} | ${int(r.records)} | ${int(r.batches)} | ${r.seconds.toFixed(2)} | ${int(r.recordsPerSecond)} | ${mb(r.peakRssMb)} |`);
  const batchListener = batches.find((r) => r.target === 'konnect-audit listen')!;
  goals.push({ goal: '1 MiB gzip batches ≥ 200,000 records/s', measured: `${int(batchListener.recordsPerSecond)} records/s`, met: batchListener.recordsPerSecond >= 200_000 });

  console.log('\n## Acknowledgement latency at a steady 2,000 requests/s (single-record posts, wrk paced with `delay`)\n');
  console.log('| server | requests | requests/s | p50 ms | p99 ms | max ms |');
  console.log('|---|---:|---:|---:|---:|---:|');
  const steady = await benchSteady(scale);
  for (const r of steady) console.log(`| ${r.target} | ${int(r.requests)} | ${int(r.requestsPerSecond)} | ${ms(r.p50Ms)} | ${ms(r.p99Ms)} | ${ms(r.maxMs)} |`);
  const steadyListener = steady.find((r) => r.target === 'konnect-audit listen')!;
  goals.push({ goal: 'p99 acknowledgement latency at 2,000 requests/s ≤ 10 ms', measured: `${ms(steadyListener.p99Ms)} ms at ${int(steadyListener.requestsPerSecond)} requests/s`, met: steadyListener.p99Ms <= 10 && steadyListener.requestsPerSecond >= 1900 });
}

if (wanted('e2e')) {
  console.log('\n## End to end: emulator → listener → store\n');
  console.log('| run | records | seconds | records/s | batches (fsyncs)/s |');
  console.log('|---|---:|---:|---:|---:|');
  for (const row of await benchListener(scale)) console.log(`| ${row.name} | ${row.records} | ${row.seconds.toFixed(2)} | ${int(row.recordsPerSecond)} | ${row.fsyncsPerSecond.toFixed(1)} |`);
}

if (wanted('memory')) {
  console.log('\n## Memory\n');
  console.log('| process, idle after start-up | RSS MB |');
  console.log('|---|---:|');
  const idle = await benchIdle();
  for (const r of idle) console.log(`| ${r.process} | ${mb(r.rssMb)} |`);
  const idleListener = idle.find((r) => r.process === 'konnect-audit listen')!;
  goals.push({ goal: 'idle listener RSS ≤ 60 MB', measured: `${mb(idleListener.rssMb)} MB`, met: idleListener.rssMb <= 60 });
  const sustained = await benchSustained(scale);
  console.log('\n| listener after | records | RSS MB |');
  console.log('|---|---:|---:|');
  console.log(`| warm-up (1 MiB gzip batches) | ${int(sustained.warmRecords)} | ${mb(sustained.warmRssMb)} |`);
  console.log(`| all records | ${int(sustained.records)} | ${mb(sustained.finalRssMb)} |`);
  console.log(`| highest sample along the way | | ${mb(sustained.peakRssMb)} |`);
  goals.push({ goal: `RSS after ${int(sustained.records)} records within 10% of RSS after the warm-up`, measured: `${sustained.growth.toFixed(3)} ×`, met: sustained.growth <= 1.1 });
}

if (wanted('startup') && tools.has('hyperfine')) {
  console.log('\n## CLI start-up (hyperfine)\n');
  console.log('| command | mean ms | ± ms | vs node -e 0 |');
  console.log('|---|---:|---:|---:|');
  const rows = benchStartup(scale);
  for (const r of rows) console.log(`| \`${r.command}\` | ${ms(r.meanMs)} | ${ms(r.stddevMs)} | ${r.ratio.toFixed(2)} |`);
  const version = rows.find((r) => r.command === 'konnect-audit --version')!;
  goals.push({ goal: '`konnect-audit --version` ≤ 1.5 × `node -e 0`', measured: `${version.ratio.toFixed(2)} ×`, met: version.ratio <= 1.5 });
}

if (wanted('jq')) {
  console.log('\n## --jq against native jq and gojq (200,000 JSON records)\n');
  for (const [name, filter] of Object.entries(FILTERS)) console.log(`- ${name}: \`${filter}\``);
  console.log('\n| filter | tool | records | seconds | records/s |');
  console.log('|---|---|---:|---:|---:|');
  for (const row of await benchJq(scale)) console.log(`| ${row.filter} | ${row.tool} | ${row.records} | ${row.seconds.toFixed(2)} | ${int(row.recordsPerSecond)} |`);
}

if (wanted('events')) {
  console.log('\n## `konnect-audit events` scan rate and `status` count (one gzip segment of 90% of the records, then events.jsonl)\n');
  console.log('| run | records | seconds | records/s |');
  console.log('|---|---:|---:|---:|');
  for (const row of benchEvents(scale)) console.log(`| ${row.run.replace(/\|/g, "\\|")} | ${int(row.records)} | ${row.seconds.toFixed(2)} | ${int(row.recordsPerSecond)} |`);
}

if (wanted('dedupe')) {
  console.log('\n## De-duplication index load (signed JSON records in events.jsonl)\n');
  console.log('| run | records | seconds | records/s | table |');
  console.log('|---|---:|---:|---:|---:|');
  for (const row of await benchDedupe(scale)) console.log(`| ${row.run} | ${int(row.records)} | ${row.seconds.toFixed(2)} | ${int(row.recordsPerSecond)} | ${row.tableBytes !== undefined ? `${mb(row.tableBytes / 1e6)} MB` : ''} |`);
}

if (goals.length > 0) {
  console.log('\n## Goals\n');
  console.log('| goal | measured | |');
  console.log('|---|---|---|');
  for (const g of goals) console.log(`| ${g.goal} | ${g.measured} | ${g.met ? 'met' : '**missed**'} |`);
}
