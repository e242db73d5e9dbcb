/**
 * `events` end to end: the built CLI over store files written by the test (JSON, CEF and CPS
 * records, rotated plain and gzip segments), every filter and output format, -n, --follow across
 * a rotation, segment skipping, a closed pipe and the error exits.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { CLI, runCli, startCli } from './support/cli.js';
import { eventually } from './support/wait.js';

let home: string;
let stores = 0;

const T = (iso: string) => Date.parse(iso);
const P1 = '87655c36-8d63-48fe-9a1e-53b28dfbc19b';
const P2 = 'eb999f01-5976-4f4b-9fbc-dd5d514bd675';

function authz(rt: number, principal: string, granted: boolean, resource = 'control-planes'): string {
  return `{"action":"list","cef_version":0,"event_class_id":"konnect","event_product":"Konnect","event_ts":"${new Date(rt).toISOString().slice(0, 19)}Z","event_vendor":"KongInc","event_version":"1.0","granted":${granted},"name":"Authz.${resource}","org_id":"b065b594-6afc-4658-9101-5d9cf3f36b7b","principal_id":"${principal}","rt":${rt},"severity":1,"src":"127.0.0.6","trace_id":3895213347334635099,"user_agent":"grpc-go/1.54.0","sig":"x"}`;
}
function accessCef(rt: number, principal: string, status = 201): string {
  return `${new Date(rt).toISOString().slice(0, 19)}Z konghq.com CEF:0|KongInc|Konnect|1.0|KongGateway|Ingress|1|rt=${rt} src=127.0.0.6 request=/konnect-api/api/control_planes act=POST status=${status} org_id=b065 principal_id=${principal} user_agent=Mozilla/5.0 (Macintosh) trace_id=1146381705542353508 query={} sig=y`;
}
function authnCps(rt: number, principal: string, success: boolean): string {
  return `{"event":{"cef_version":0,"event_class_id":"AUTHENTICATION_TYPE_PAT","name":"AUTHENTICATION_OUTCOME_${success ? 'SUCCESS' : 'INVALID'}","principal_id":"${principal}","request":"/api/v1/authenticate","rt":"${rt}","success":${success}}}`;
}
function authnCef(eventTs: string, principal: string): string {
  // No rt: the time is the header's timestamp.
  return `${eventTs} konghq.com CEF:0|KongInc|Konnect|1.0|AUTHENTICATION_TYPE_BASIC|AUTHENTICATION_OUTCOME_SUCCESS|0|src=127.0.0.1 request=/api/v1/authenticate success=true org_id=b065 principal_id=${principal} trace_id=1 user_agent=curl sig=z`;
}
const NO_TIME = '{"name":"Ingress","principal_id":"nobody","act":"GET","request":"/x","status":200}';

/** Segment 1 (gzip, 1 Nov), segment 2 (plain, 2 Nov), then the active file (3 Nov). */
const SEG1 = [authz(T('2026-11-01T10:00:00Z'), P1, true), accessCef(T('2026-11-01T11:00:00Z'), P2)];
const SEG2 = [authnCps(T('2026-11-02T10:00:00Z'), P1, false), authz(T('2026-11-02T11:00:00Z'), P2, false, 'portals')];
const ACTIVE = [accessCef(T('2026-11-03T10:00:00Z'), P1, 403), authnCef('2026-11-03T11:00:00Z', P2), NO_TIME];
const ALL = [...SEG1, ...SEG2, ...ACTIVE];
const lines = (records: readonly string[]) => records.join('\n') + '\n';

/** A fresh data dir whose default profile holds the files (names → contents). */
function store(files: Record<string, string | Buffer>): { dataDir: string; dir: string } {
  const dataDir = join(home, `store-${++stores}`);
  const dir = join(dataDir, 'default');
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return { dataDir, dir };
}

let main: string;
const env = () => ({ XDG_CONFIG_HOME: join(home, 'config'), HOME: home, KONNECT_AUDIT_PROFILE: '' });
const events = (args: string[], dataDir = main) => runCli(['events', '--data-dir', dataDir, ...args], { env: env() });
const out = (args: string[], dataDir = main) => {
  const r = events(args, dataDir);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
};

before(() => {
  home = mkdtempSync(join(tmpdir(), 'events-e2e-'));
  main = store({
    'events-20261101T100001Z-20261101T110002Z.jsonl.gz': gzipSync(lines(SEG1)),
    'events-20261102T100001Z-20261102T110002Z.jsonl': lines(SEG2),
    'events.jsonl': lines(ACTIVE),
  }).dataDir;
});
after(() => rmSync(home, { recursive: true, force: true }));

describe('events: reading and filters', () => {
  test('jsonl: every stored record, oldest segment first, byte for byte (gzip included)', () => {
    assert.equal(out([]), lines(ALL));
  });

  test('--type maps names as reference §6.1; CEF, JSON and CPS alike', () => {
    assert.equal(out(['--type', 'authorization']), lines([SEG1[0]!, SEG2[1]!]));
    assert.equal(out(['--type', 'authentication']), lines([SEG2[0]!, ACTIVE[1]!]));
    assert.equal(out(['--type', 'access']), lines([SEG1[1]!, ACTIVE[0]!, NO_TIME]));
  });

  test('--principal and --granted', () => {
    assert.equal(out(['--principal', P2]), lines([SEG1[1]!, SEG2[1]!, ACTIVE[1]!]));
    assert.equal(out(['--granted', 'false']), lines([SEG2[1]!]));
    assert.equal(out(['--granted', 'true', '--principal', P1]), lines([SEG1[0]!]));
  });

  test('--since/--until on rt, else event_ts; records without time only without them', () => {
    assert.equal(out(['--since', '2026-11-02T11:00:00Z']), lines([SEG2[1]!, ...ACTIVE.slice(0, 2)]));
    assert.equal(out(['--until', '2026-11-01T11:00:00Z']), lines([SEG1[0]!]));
    assert.equal(out(['--since', '2026-11-03T10:30:00Z', '--until', '2026-11-03T12:30:00+01:00']), lines([ACTIVE[1]!]));
  });

  test('--since as a duration back from now', () => {
    const now = Date.now();
    const { dataDir } = store({ 'events.jsonl': lines([authz(now - 3 * 3_600_000, P1, true), authz(now - 10 * 60_000, P2, true)]) });
    assert.equal(out(['--since', '1h'], dataDir).split('\n')[0], authz(now - 10 * 60_000, P2, true));
    assert.equal(out(['--since', '90m', '--until', '2h'], dataDir), '');
    assert.equal(out(['--since', '7d'], dataDir).split('\n').length, 3);
  });

  test('--jq after the other filters, with -r and --jq-arg, as tail --jq', () => {
    assert.equal(out(['--type', 'authorization', '--jq', '.trace_id']), '3895213347334635099\n3895213347334635099\n');
    assert.equal(out(['--jq', 'select(.principal_id == $p) | .name', '-r', '--jq-arg', 'p', P2]), 'Ingress\nAuthz.portals\nAUTHENTICATION_OUTCOME_SUCCESS\n');
    // No result prints null, as tail --jq.
    assert.equal(out(['--type', 'access', '--jq', 'select(.status == 403) | .status']), 'null\n403\nnull\n');
  });

  test('-n stops after N printed records', () => {
    assert.equal(out(['-n', '2']), lines(ALL.slice(0, 2)));
    assert.equal(out(['-n', '1', '--type', 'authentication']), lines([SEG2[0]!]));
    assert.equal(out(['-n', '0']), '');
    assert.equal(out(['-n', '1', '--jq', 'select(.granted == false) | .name', '-r']), 'Authz.portals\n');
  });
});

describe('events: output formats', () => {
  test('json: one valid document of Konnect JSON objects; 64-bit trace_id exact', () => {
    const text = out(['-o', 'json']);
    const parsed = JSON.parse(text) as Record<string, unknown>[];
    assert.equal(parsed.length, ALL.length);
    assert.equal(parsed[1]!.name, 'Ingress');
    assert.equal(parsed[1]!.status, 201);
    assert.equal(parsed[2]!.success, false);
    assert.match(text, /"trace_id":3895213347334635099/);
    assert.equal(out(['-o', 'json', '--principal', 'none']), '[]\n');
  });

  test('text: one aligned line per event', () => {
    const rows = out(['-o', 'text']).trimEnd().split('\n');
    assert.equal(rows.length, ALL.length);
    assert.match(rows[0]!, /^2026-11-01T10:00:00\.000Z {2}authorization {3}87655c36-8d63-48fe-9a1e-53b28dfbc19b {2}list control-planes +granted$/);
    assert.match(rows[1]!, /^2026-11-01T11:00:00\.000Z {2}access +eb999f01\S+ {2}POST \/konnect-api\/api\/control_planes 201 +201$/);
    assert.match(rows[2]!, /authentication +87655c36\S+ {2}\/api\/v1\/authenticate INVALID +failure$/);
    assert.match(rows[3]!, /authorization +eb999f01\S+ {2}list portals +denied$/);
    assert.match(rows[5]!, /^2026-11-03T11:00:00\.000Z {2}authentication .* success$/);
    assert.match(rows[6]!, /^- {25}access {10}nobody +GET \/x 200 +200$/);
    // Aligned: the ACTION column starts at the same place on every line.
    assert.equal(new Set(rows.map((r) => r.indexOf(' ', 24 + 2 + 14 + 2 + 1))).size >= 1, true);
    assert.equal(new Set(rows.slice(0, 6).map((r) => r.search(/(list|POST|\/api)/))).size, 1);
  });

  test('table: a header and columns sized to the output', () => {
    const rows = out(['-o', 'table', '--type', 'authorization']).trimEnd().split('\n');
    assert.deepEqual(rows, [
      'TIME                      TYPE           PRINCIPAL                             ACTION               OUTCOME',
      `2026-11-01T10:00:00.000Z  authorization  ${P1}  list control-planes  granted`,
      `2026-11-02T11:00:00.000Z  authorization  ${P2}  list portals         denied`,
    ]);
  });
});

describe('events: segments', () => {
  test('a segment received wholly before --since is not opened (a corrupt gzip would fail)', () => {
    const corrupt = Buffer.concat([gzipSync('x').subarray(0, 10), Buffer.from('not deflate data')]);
    const { dataDir } = store({
      'events-20261101T000000Z-20261101T235959Z.jsonl.gz': corrupt,
      'events-20261102T000000Z-20261102T235959Z.jsonl.gz': gzipSync(lines(SEG2)),
      'events.jsonl': lines(ACTIVE),
    });
    assert.equal(out(['--since', '2026-11-02T00:00:00Z'], dataDir), lines([...SEG2, ...ACTIVE.slice(0, 2)]));
    // Within the last second of its name the segment may hold the record: it is read, and fails.
    const r = events(['--since', '2026-11-01T23:59:59.500Z'], dataDir);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /cannot read .*events-20261101T000000Z-20261101T235959Z\.jsonl\.gz: not a readable gzip file/);
    // --until cannot skip: a record can arrive long after its event (retries, replays).
    assert.equal(events(['--until', '2026-11-01T00:00:00Z'], dataDir).status, 1);
  });
});

describe('events: errors', () => {
  test('no stored events: exit 1 naming the profile and directory', () => {
    const r = runCli(['events', '--data-dir', join(home, 'nothing'), '--profile', 'prod'], { env: env() });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no stored events for profile "prod": .*nothing\/prod holds no events\.jsonl/);
  });

  test('bad flag values: exit 2 naming the flag, with an example', () => {
    for (const [args, flag] of [
      [['--since', 'yesterday'], '--since'],
      [['--until', '2026-13-01'], '--until'],
      [['--type', 'authn'], '--type'],
      [['--granted', 'yes'], '--granted'],
      [['-n', 'ten'], '--limit'],
      [['-o', 'yaml'], '--output'],
    ] as const) {
      const r = events([...args]);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`"${flag}" flag: .*for example`), r.stderr);
      assert.match(r.stderr, /konnect-audit events --help/);
    }
    assert.equal(events(['--jq', '.[', '-o', 'jsonl']).status, 2);
    assert.match(events(['--jq', '.name', '-o', 'table']).stderr, /--jq .* -o table/);
    assert.match(events(['-r']).stderr, /--jq-raw requires --jq/);
  });

  test('an unreadable record is skipped with a warning when it must be parsed, printed as stored otherwise', () => {
    const { dataDir } = store({ 'events.jsonl': lines(['not a record', ACTIVE[0]!]) });
    assert.equal(out([], dataDir), lines(['not a record', ACTIVE[0]!]));
    const r = events(['-o', 'json'], dataDir);
    assert.equal(r.status, 0);
    assert.equal((JSON.parse(r.stdout) as unknown[]).length, 1);
    assert.match(r.stderr, /skipping a record that cannot be read \(events\.jsonl line 1\)/);
  });

  test('events | head ends quietly (EPIPE)', () => {
    const many = Array.from({ length: 50_000 }, (_, i) => authz(T('2026-11-01T00:00:00Z') + i, P1, true));
    const { dataDir } = store({ 'events.jsonl': lines(many) });
    for (const format of ['jsonl', 'json', 'text']) {
      const r = spawnSync('bash', ['-c', `set -o pipefail; "${process.execPath}" "${CLI}" events --data-dir "${dataDir}" -o ${format} | head -2`], { encoding: 'utf8', env: { ...process.env, ...env() } });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stderr, '');
      assert.equal(r.stdout.split('\n').length, 3);
    }
  });
});

describe('events --follow', () => {
  test('prints stored records, then appended ones, across a rename to a segment and a new events.jsonl; SIGTERM exits 0', async () => {
    const { dataDir, dir } = store({ 'events-20261101T100001Z-20261101T110002Z.jsonl.gz': gzipSync(lines(SEG1)), 'events.jsonl': lines(SEG2) });
    const proc = startCli(['events', '--data-dir', dataDir, '-f'], { env: env() });
    const seen = (n: number) => eventually(`${n} lines`, () => (proc.stdout.split('\n').length - 1 >= n ? true : undefined), 10_000);
    await seen(4);
    appendFileSync(join(dir, 'events.jsonl'), lines([ACTIVE[0]!]));
    await seen(5);
    // Rotation: written just before the rename, then a new active file.
    appendFileSync(join(dir, 'events.jsonl'), lines([ACTIVE[1]!]));
    renameSync(join(dir, 'events.jsonl'), join(dir, 'events-20261102T100001Z-20261103T100000Z.jsonl'));
    writeFileSync(join(dir, 'events.jsonl'), lines([NO_TIME]));
    await seen(7);
    appendFileSync(join(dir, 'events.jsonl'), lines([SEG1[0]!]));
    await seen(8);
    proc.child.kill('SIGTERM');
    assert.equal(await proc.exited(), 0, proc.stderr);
    assert.equal(proc.stdout, lines([...ALL, SEG1[0]!]));
  });

  test('-n N with --follow: the last N matching stored records, then new ones; filters and formats apply; Ctrl+C exits 0', async () => {
    const { dataDir, dir } = store({ 'events.jsonl': lines(ALL) });
    const proc = startCli(['events', '--data-dir', dataDir, '-f', '-n', '1', '--type', 'authorization', '-o', 'json'], { env: env() });
    await eventually('the last stored authorization', () => (proc.stdout.includes('Authz.portals') ? true : undefined), 10_000);
    appendFileSync(join(dir, 'events.jsonl'), lines([ACTIVE[0]!, authz(T('2026-11-04T00:00:00Z'), P1, true, 'usage')]));
    await eventually('the new one', () => (proc.stdout.includes('Authz.usage') ? true : undefined), 10_000);
    proc.child.kill('SIGINT');
    assert.equal(await proc.exited(), 0, proc.stderr);
    const parsed = JSON.parse(proc.stdout) as { name: string }[];
    assert.deepEqual(parsed.map((r) => r.name), ['Authz.portals', 'Authz.usage']);
  });

  test('table with --follow: fixed widths under a header', async () => {
    const { dataDir } = store({ 'events.jsonl': lines(SEG1) });
    const proc = startCli(['events', '--data-dir', dataDir, '-f', '-o', 'table'], { env: env() });
    await eventually('rows', () => (proc.stdout.split('\n').length >= 4 ? true : undefined), 10_000);
    proc.child.kill('SIGTERM');
    assert.equal(await proc.exited(), 0);
    const rows = proc.stdout.trimEnd().split('\n');
    assert.match(rows[0]!, /^TIME {22}TYPE {12}PRINCIPAL {29}ACTION {44}OUTCOME$/);
    assert.equal(rows.length, 3);
  });
});
