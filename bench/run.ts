/**
 * `npm run bench`: runs every benchmark side by side and prints a Markdown table to paste into
 * BENCHMARKS.md. `BENCH_SCALE=0.1 npm run bench` for a quick run.
 */
import os from 'node:os';
import { benchEmulator } from './emulator.js';
import { benchListener } from './listener.js';
import { benchJq, FILTERS } from './jq.js';

const scale = Number(process.env.BENCH_SCALE ?? '1');
const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
console.log(`# konnect-audit benchmarks, ${new Date().toISOString().slice(0, 10)}`);
console.log(`Machine: ${os.cpus().length} x ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`);
console.log(`Command: BENCH_SCALE=${scale} npm run bench\n`);

console.log('## Emulator delivery to a minimal receiver (separate process)\n');
console.log('| run | records | seconds | records/s |');
console.log('|---|---:|---:|---:|');
for (const row of await benchEmulator(scale)) {
  console.log(`| ${row.name} | ${row.records} | ${row.seconds.toFixed(2)} | ${Math.round(row.recordsPerSecond).toLocaleString('en-US')} |`);
}

console.log('\n## End to end: emulator → listener → store\n');
console.log('| run | records | seconds | records/s | batches (fsyncs)/s |');
console.log('|---|---:|---:|---:|---:|');
for (const row of await benchListener(scale)) {
  console.log(`| ${row.name} | ${row.records} | ${row.seconds.toFixed(2)} | ${Math.round(row.recordsPerSecond).toLocaleString('en-US')} | ${row.fsyncsPerSecond.toFixed(1)} |`);
}

console.log('\n## --jq against native jq and gojq (200,000 JSON records)\n');
for (const [name, filter] of Object.entries(FILTERS)) console.log(`- ${name}: \`${filter}\``);
console.log('\n| filter | tool | records | seconds | records/s |');
console.log('|---|---|---:|---:|---:|');
for (const row of await benchJq(scale)) {
  console.log(`| ${row.filter} | ${row.tool} | ${row.records} | ${row.seconds.toFixed(2)} | ${Math.round(row.recordsPerSecond).toLocaleString('en-US')} |`);
}
