/**
 * Driving a target with wrk (Debian's package; the bench installs it when missing): POSTs of one
 * ~440-byte JSON audit record each, every record unique (its trace_id counts up, under a prefix of
 * its own in each wrk run), the bench's Authorization header, keep-alive connections.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AUTHORIZATION } from './targets.js';

/** The shape of Konnect's JSON example record (reference §8), with `{SEQ}` standing for trace_id. */
const RECORD_TEMPLATE =
  '{"action":"read","cef_version":"0","event_class_id":"identity","event_product":"Konnect","event_ts":"2026-11-27T20:52:09Z","event_vendor":"KongInc","event_version":"1.0","granted":true,"name":"Authz.identity-provider","org_id":"b065b594-6afc-4658-9101-5d9cf3f36b7b","principal_id":"87655c36-8d63-48fe-9a1e-53b28dfbc19b","rt":1764276729807,"severity":1,"src":"127.0.0.6","trace_id":{SEQ},"user_agent":"grpc-go/1.54.0","sig":"Jm73seSwAiacSBysDmgQ3D_R_1c39_T0Iuus9GqUEnAjCc-UnyKhFgS8jDx5UIl4J6PTCH5ouuPizwnjnMDECg"}';

export function recordBytes(): number {
  return Buffer.byteLength(RECORD_TEMPLATE.replace('{SEQ}', '3895213347334635099')) + 1;
}

export interface WrkResult {
  readonly requests: number;
  readonly seconds: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Answers other than 2xx/3xx plus socket errors; a valid run has none. */
  readonly errors: number;
}

/** wrk runs so far: each run's trace ids start with its own number, so no run repeats another's records. */
let runs = 0;

function luaScript(delayMs?: number): string {
  const [before, after] = RECORD_TEMPLATE.split('{SEQ}') as [string, string];
  const quote = (s: string) => JSON.stringify(s);
  // Lua numbers are doubles: a 19-digit counter would not count (2^53 is 16 digits), so the trace id
  // is "38", the run number (3 digits) and a 14-digit counter, joined as text.
  return `
local run = "${String(runs++ % 1000).padStart(3, '0')}"
local seq = 0
wrk.method = "POST"
wrk.headers["Authorization"] = ${quote(AUTHORIZATION)}
wrk.headers["Content-Type"] = "application/json"
request = function()
  seq = seq + 1
  return wrk.format(nil, nil, nil, ${quote(before)} .. "38" .. run .. string.format("%014d", seq) .. ${quote(after)} .. "\\n")
end
${delayMs === undefined ? '' : `delay = function() return ${delayMs} end`}
`;
}

function toMs(value: string, unit: string): number {
  const n = Number(value);
  return unit === 'us' ? n / 1000 : unit === 's' ? n * 1000 : unit === 'm' ? n * 60_000 : n;
}

/** The Max column of wrk's Latency line. */
function maxLatency(output: string): number {
  const m = /^\s+Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s|m)/m.exec(output);
  return m ? toMs(m[1]!, m[2]!) : NaN;
}

export function parseWrk(output: string): WrkResult {
  const requests = Number(/(\d+) requests in ([\d.]+)(\w+)/.exec(output)?.[1] ?? NaN);
  const duration = /\d+ requests in ([\d.]+)(\w+)/.exec(output);
  const seconds = duration ? toMs(duration[1]!, duration[2]!) / 1000 : NaN;
  const percentile = (p: string) => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(output);
    return m ? toMs(m[1]!, m[2]!) : NaN;
  };
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const socketErrors = socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
  return { requests, seconds, requestsPerSecond: Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1] ?? NaN), p50Ms: percentile('50'), p99Ms: percentile('99'), maxMs: maxLatency(output), errors: non2xx + socketErrors };
}

export function wrkAvailable(): boolean {
  return spawnSync('sh', ['-c', 'command -v wrk']).status === 0;
}

/**
 * Runs wrk (one thread, `connections` connections) for `seconds`; resolves with its figures. With
 * `delayMs`, each connection waits that long after an answer before its next request, which paces
 * the load (connections / delay requests per second at most) instead of saturating the server.
 */
export async function runWrk(url: string, connections: number, seconds: number, delayMs?: number): Promise<WrkResult> {
  const dir = mkdtempSync(join(tmpdir(), 'konnect-audit-bench-wrk-'));
  const script = join(dir, 'post.lua');
  writeFileSync(script, luaScript(delayMs));
  try {
    const child = spawn('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '-s', script, url], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve)); // 'close': all of stdout read
    if (code !== 0) throw new Error(`wrk exited with ${code}: ${output}`);
    return parseWrk(output);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
