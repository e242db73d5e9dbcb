/**
 * `konnect-audit events` scan rate over a stored profile of 1,000,000 records (one gzip segment
 * and an active file, as rotation leaves them), against `zcat | jq -c` on the same data; and
 * `konnect-audit status` counting the same store, the first time and with segment counts kept.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { ensurePackages } from './support/debian.js';

export interface EventsBenchRow {
  readonly run: string;
  readonly records: number;
  readonly seconds: number;
  readonly recordsPerSecond: number;
}

const CLI = fileURLToPath(new URL('../dist/konnect-audit.mjs', import.meta.url));

/** Records shaped like Konnect's JSON ones: authorization (3% denied), authentication and access. */
function records(count: number): string[] {
  const out: string[] = [];
  let seed = 42;
  const next = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const principals = Array.from({ length: 300 }, (_, i) => `7f5c${String(i).padStart(4, '0')}-8d63-48fe-9a1e-53b28dfbc19b`);
  for (let i = 0; i < count; i++) {
    const rt = 1764276729807 + i * 50;
    const ts = new Date(rt).toISOString().slice(0, 19) + 'Z';
    const principal = principals[Math.floor(next() * principals.length)]!;
    const kind = next();
    const tail = `"org_id":"b065b594-6afc-4658-9101-5d9cf3f36b7b","principal_id":"${principal}","rt":${rt},"severity":1,"src":"10.0.${i % 256}.7","trace_id":${3895213347334635099n + BigInt(i)},"user_agent":"kongctl/0.9.1","sig":"${Buffer.alloc(64, i % 251).toString('base64url')}"}`;
    if (kind < 0.6) out.push(`{"action":"read","cef_version":"0","event_class_id":"konnect","event_product":"Konnect","event_ts":"${ts}","event_vendor":"KongInc","event_version":"1.0","granted":${next() > 0.03},"name":"Authz.control-planes",${tail}`);
    else if (kind < 0.8) out.push(`{"cef_version":0,"event_class_id":"AUTHENTICATION_TYPE_PAT","event_product":"Konnect","event_ts":"${ts}","event_vendor":"KongInc","event_version":"1.0","name":"AUTHENTICATION_OUTCOME_SUCCESS","request":"/api/v1/authenticate","success":"true",${tail}`);
    else out.push(`{"act":"GET","cef_version":0,"event_class_id":"KongGateway","event_product":"Konnect","event_ts":"${ts}","event_vendor":"KongInc","event_version":"1.0","name":"Ingress","request":"/v2/control-planes","status":200,${tail}`);
  }
  return out;
}

function time(run: string, count: number, command: string, args: string[], env: NodeJS.ProcessEnv = process.env, exitCode = 0): EventsBenchRow {
  const start = performance.now();
  const result = spawnSync(command, args, { stdio: ['ignore', 'ignore', exitCode === 0 ? 'inherit' : 'ignore'], env, maxBuffer: 1 << 30 });
  const seconds = (performance.now() - start) / 1000;
  if (result.status !== exitCode) throw new Error(`${run}: exit ${result.status}`);
  return { run, records: count, seconds, recordsPerSecond: count / seconds };
}

export function benchEvents(scale: number): EventsBenchRow[] {
  const count = Math.max(50_000, Math.round(1_000_000 * scale));
  const jq = ensurePackages({ jq: 'jq' }).has('jq');
  const home = mkdtempSync(join(tmpdir(), 'konnect-audit-events-bench-'));
  const dir = join(home, 'data', 'default');
  mkdirSync(dir, { recursive: true });
  const all = records(count);
  const split = Math.floor(count * 0.9);
  const segment = join(dir, 'events-20261127T000000Z-20261127T230000Z.jsonl.gz');
  writeFileSync(segment, gzipSync(all.slice(0, split).join('\n') + '\n'));
  writeFileSync(join(dir, 'events.jsonl'), all.slice(split).join('\n') + '\n');
  const env = { ...process.env, XDG_CONFIG_HOME: join(home, 'config') };
  const events = (extra: string[]) => [CLI, 'events', '--data-dir', join(home, 'data'), ...extra];
  const filter = 'select(.granted==false)';
  try {
    const rows = [
      time('konnect-audit events (as stored)', count, process.execPath, events([]), env),
      time('konnect-audit events --type authorization --granted false', count, process.execPath, events(['--type', 'authorization', '--granted', 'false']), env),
      time(`konnect-audit events --jq '${filter}'`, count, process.execPath, events(['--jq', filter]), env),
      time('zcat segment; cat events.jsonl (reading alone)', count, 'sh', ['-c', `zcat '${segment}'; cat '${join(dir, 'events.jsonl')}'`]),
    ];
    if (jq) rows.push(time(`(zcat segment; cat events.jsonl) | jq -c '${filter}' (Debian jq)`, count, 'sh', ['-c', `(zcat '${segment}'; cat '${join(dir, 'events.jsonl')}') | jq -c '${filter}'`]));
    // Konnect refused at once (exit 1: no Konnect call succeeded), so only the local sections are timed.
    const status = [CLI, 'status', '--data-dir', join(home, 'data'), '--base-url', 'http://127.0.0.1:1', '--pat', 'bench'];
    rmSync(join(dir, 'segment-counts.json'), { force: true });
    rows.push(time('konnect-audit status (store counted, first run)', count, process.execPath, status, env, 1));
    rows.push(time('konnect-audit status (segment count remembered)', count, process.execPath, status, env, 1));
    return rows;
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
