// Posts gzip batches as Konnect sends them: records of about 540 bytes joined by "\n" up to 1 MiB
// uncompressed, gzip level 6 (Go's default), over a few keep-alive connections, until `records`
// records have been acknowledged. Every record of the first `distinct` batches is unique; later
// batches repeat them. Prints one JSON line: { records, batches, seconds, failures, samples }.
// `samples` lists [records acknowledged, ms] every `sampleEvery` records (for RSS sampling the
// parent reads the target's /proc at those points via the IPC messages sent meanwhile).
// Usage: node batch-poster.mjs <url> <authorization> <records> <connections> <distinct>
import http from 'node:http';
import { gzipSync } from 'node:zlib';

const [url, authorization, recordsArg, connectionsArg, distinctArg] = process.argv.slice(2);
const target = Number(recordsArg);
const connections = Number(connectionsArg);
const distinct = Number(distinctArg);
const LIMIT = 1024 * 1024;
// Records shaped like Konnect's JSON records (reference §8), varied as an organisation's are: a few
// hundred principals and addresses, the usual event names and agents, increasing times, unique
// trace ids. (Identical records would compress 100:1 and flatter the gunzip step.)
let state = 0x9e3779b9;
const random = () => {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) / 2 ** 32;
};
const pick = (list) => list[Math.floor(random() * list.length)];
const hex = (n) => Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join('');
const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
const ORG = uuid();
const PRINCIPALS = Array.from({ length: 300 }, uuid);
const ADDRESSES = Array.from({ length: 200 }, () => `${10 + Math.floor(random() * 200)}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}`);
const AGENTS = ['grpc-go/1.54.0', 'kongctl/0.9.1', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/139.0 Safari/537.36', 'terraform-provider-konnect/2.3.0', 'decK/1.49.0', 'curl/8.5.0'];
const NAMES = [['Authz.control-planes', 'read'], ['Authz.identity-provider', 'read'], ['Authz.portals', 'list'], ['Authz.services', 'update'], ['Authz.routes', 'create'], ['Authz.audit-logs', 'read']];
let millis = Date.parse('2026-11-27T20:52:09Z');
let seq = 0;
function record() {
  millis += Math.floor(random() * 5);
  seq++;
  const [name, action] = pick(NAMES);
  const trace = `${1000000000 + seq}${String(Math.floor(random() * 1e9)).padStart(9, '0')}`;
  const sig = Buffer.from(hex(128), 'hex').toString('base64url');
  return `{"action":"${action}","cef_version":"0","event_class_id":"${name.slice(6)}","event_product":"Konnect","event_ts":"${new Date(millis).toISOString().slice(0, 19)}Z","event_vendor":"KongInc","event_version":"1.0","granted":${random() < 0.97},"name":"${name}","org_id":"${ORG}","principal_id":"${pick(PRINCIPALS)}","rt":${millis},"severity":1,"src":"${pick(ADDRESSES)}","trace_id":${trace},"user_agent":"${pick(AGENTS)}","sig":"${sig}"}`;
}

const batches = [];
for (let b = 0; b < distinct; b++) {
  const lines = [];
  let size = 0;
  for (;;) {
    const line = record();
    if (size + line.length + 1 > LIMIT) break;
    lines.push(line);
    size += line.length + 1;
  }
  batches.push({ body: gzipSync(lines.join('\n'), { level: 6 }), records: lines.length });
}

const { hostname, port, pathname } = new URL(url);
const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
let sent = 0;
let acknowledged = 0;
let acknowledgedBatches = 0;
let failures = 0;
const failureReasons = [];
let next = 0;

function post(batch) {
  return new Promise((resolve) => {
    const req = http.request({ hostname, port, path: pathname, method: 'POST', agent, headers: { Authorization: authorization, 'Content-Type': 'application/json', 'Content-Encoding': 'gzip', 'Content-Length': batch.body.length } }, (res) => {
      res.resume();
      res.on('end', () => {
        const ok = res.statusCode >= 200 && res.statusCode < 300;
        if (!ok) failureReasons.push(`HTTP ${res.statusCode}`);
        resolve(ok);
      });
    });
    req.on('error', (error) => {
      failureReasons.push(error.code ?? error.message);
      resolve(false);
    });
    req.end(batch.body);
  });
}

async function worker() {
  while (sent < target) {
    const batch = batches[next++ % batches.length];
    sent += batch.records;
    if (await post(batch)) {
      acknowledged += batch.records;
      acknowledgedBatches++;
      process.send?.({ acknowledged });
    } else failures++;
  }
}

process.send?.({ ready: true });
await new Promise((resolve) => (process.send ? process.once('message', resolve) : resolve()));
const start = performance.now();
await Promise.all(Array.from({ length: connections }, worker));
const seconds = (performance.now() - start) / 1000;
agent.destroy();
process.stdout.write(`${JSON.stringify({ records: acknowledged, batches: acknowledgedBatches, seconds, failures, failureReasons, recordsPerBatch: batches[0].records, gzipBytes: batches[0].body.length })}\n`);
