/**
 * The emulated Konnect audit-log API over real HTTP: every endpoint's success and error shapes,
 * checked against the reference (konnect-audit-api.md §1-5, 9, 10) and the README's documented
 * emulator choices. Each describe block runs its own emulator on 127.0.0.1, port 0.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, verify, type JsonWebKey } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { startEmulator, type Emulator, type EmulatorOptions } from '../src/emulator/index.js';
import { call, type ApiResult } from './support/api.js';
import { startReceiver, type TestReceiver } from './support/receiver.js';

// ---------------------------------------------------------------------------------------------
// Shapes and constants
// ---------------------------------------------------------------------------------------------

const TRACE_INSTANCE = /^(kong|konnect):trace:\d+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ZERO_TIME = '0001-01-01T00:00:00Z';
const UNCONFIGURED_V2 = '{"endpoint":"unconfigured","enabled":false,"log_format":"cef","skip_ssl_verification":false,"updated_at":"0001-01-01T00:00:00Z"}';
const UNCONFIGURED_V3 = '{"audit_log_destination_id":"","enabled":false}';
const UNCONFIGURED_STATUS = '{"webhook_status":"unconfigured","webhook_enabled":false}';
const INITIAL_REPLAY = '{"start_at":"0001-01-01T00:00:00Z","end_at":"0001-01-01T00:00:00Z","status":"unconfigured","updated_at":"0001-01-01T00:00:00Z"}';
// Reference §8.5: the seed and the JWKS it gives.
const SEED = '0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20';
const SEED_JWKS = '{"keys":[{"kty":"OKP","alg":"EdDSA","kid":"4e1cf1bb1520cd0d9a99ee1f4ae7521647dd6a53","crv":"Ed25519","x":"ebVWLo_mVPlAeLES6KmLp5AfhTrmlb7X4OORC60ElmQ"}]}';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

interface InvalidParameter {
  readonly field: string;
  readonly reason: string;
  readonly rule?: string;
  readonly source?: string;
  readonly choices?: readonly string[];
  readonly minimum?: number;
  readonly maximum?: number;
}

interface ExpectedProblem {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly invalid_parameters?: readonly InvalidParameter[];
}

interface ProblemBody extends ExpectedProblem {
  readonly instance: string;
}

interface WebhookV2 {
  readonly endpoint: string;
  readonly enabled: boolean;
  readonly log_format: string;
  readonly skip_ssl_verification: boolean;
  readonly updated_at: string;
  readonly audit_log_destination_id?: string;
}

interface WebhookV3 {
  readonly audit_log_destination_id: string;
  readonly enabled: boolean;
}

interface WebhookStatus {
  readonly webhook_status: string;
  readonly webhook_enabled: boolean;
  readonly last_attempt_at?: string;
  readonly last_response_code?: number;
  readonly last_response_message?: string;
}

interface ReplayJob {
  readonly start_at: string;
  readonly end_at: string;
  readonly status: string;
  readonly updated_at: string;
}

interface Destination {
  readonly id: string;
  readonly name: string;
  readonly endpoint: string;
  readonly log_format: string;
  readonly skip_ssl_verification: boolean;
  readonly created_at: string;
  readonly updated_at: string;
}

interface CursorMeta {
  readonly next: string | null;
  readonly previous: string | null;
  readonly size: number;
}

interface DestinationPage {
  readonly data: Destination[];
  readonly meta: CursorMeta;
}

type PullRecord = Record<string, unknown> & { readonly type: string; readonly ts: string; readonly trace_id: string; readonly signature: string };

interface PullPage {
  readonly data: PullRecord[];
  readonly meta: { readonly page: CursorMeta };
}

interface Jwk {
  readonly kty: string;
  readonly alg: string;
  readonly kid: string;
  readonly crv: string;
  readonly x: string;
}

interface ControlPlane {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly labels: Record<string, string>;
  readonly config: Record<string, unknown>;
  readonly created_at: string;
  readonly updated_at: string;
}

type CallOptions = NonNullable<Parameters<typeof call>[3]>;
type Api = <T = unknown>(method: string, path: string, options?: CallOptions) => Promise<ApiResult<T>>;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/** Starts one emulator for the enclosing describe block and stops it afterwards. */
function useEmulator(options: Omit<EmulatorOptions, 'port'> = {}): () => Emulator {
  let emulator: Emulator | undefined;
  before(async () => {
    emulator = await startEmulator({ port: 0, ...options });
  });
  after(async () => {
    await emulator?.stop();
  });
  return () => {
    assert.ok(emulator, 'the emulator is running');
    return emulator;
  };
}

/** Calls the emulator at `prefix` ('' = bare base URL, '/eu', '/global') with the full-access token. */
function apiFor(emulator: () => Emulator, prefix = ''): Api {
  return <T = unknown>(method: string, path: string, options: CallOptions = {}) =>
    call<T>(`${emulator().baseUrl}${prefix}`, method, path, { token: emulator().token, ...options });
}

/** Asserts a Konnect problem+json answer: status, content type, trace instance and the exact rest of the body. */
function assertProblem(res: ApiResult, expected: ExpectedProblem): ProblemBody {
  assert.equal(res.status, expected.status, res.text);
  assert.equal(res.headers.get('content-type'), 'application/problem+json');
  const body = res.body as ProblemBody;
  assert.match(body.instance, TRACE_INSTANCE);
  const { instance: _instance, ...rest } = body;
  assert.deepEqual(rest, expected);
  return body;
}

function badRequest(detail: string, ...invalid_parameters: InvalidParameter[]): ExpectedProblem {
  return { status: 400, title: 'Bad Request', detail, invalid_parameters };
}

const NOT_FOUND: ExpectedProblem = { status: 404, title: 'Not Found', detail: 'Not Found' };
const UNAUTHORIZED: ExpectedProblem = { status: 401, title: 'Unauthorized', detail: 'Unauthorized' };

/** Asserts a 2xx JSON answer and returns its body. */
function ok<T>(res: ApiResult<T>, status = 200): T {
  assert.equal(res.status, status, res.text);
  assert.equal(res.headers.get('content-type'), 'application/json');
  return res.body;
}

/** RFC 3339 with whole seconds, as the emulator prints whole-second times (`...:05Z`). */
function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.000Z$/, 'Z');
}

/** Now, rounded down to a whole second. */
function nowSeconds(): number {
  return Math.floor(Date.now() / 1000) * 1000;
}

/** Polls `probe` until `done` holds, failing after `timeoutMs`. */
async function eventually<T>(what: string, probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(value)}`);
    await delay(10);
  }
}

/** Polls a replay job until it reaches `status`. */
function replayReaches(api: Api, path: string, status: string): Promise<ReplayJob> {
  return eventually(
    `replay job ${path} to be ${status}`,
    async () => ok(await api<ReplayJob>('GET', path)),
    (job) => job.status === status,
  );
}

function storedEvents(emulator: Emulator, region: string): number {
  const scope = emulator.inspect().regions[region];
  assert.ok(scope, `region ${region} is in the snapshot`);
  return scope.stored_events;
}

function traceIdOf(problem: ProblemBody): string {
  return problem.instance.slice(problem.instance.lastIndexOf(':') + 1);
}

/** Creates a destination through `POST /v3/audit-log-destinations` (defaults for the fields not given). */
async function createDestination(api: Api, fields: Record<string, unknown>): Promise<Destination> {
  const body = { name: 'siem', endpoint: 'https://siem.example.com/audit-logs', authorization: 'Bearer dest-secret', log_format: 'json', ...fields };
  return ok(await api<Destination>('POST', '/v3/audit-log-destinations', { body }), 201);
}

// ---------------------------------------------------------------------------------------------
// Authentication and permissions (reference §1.2, §1.3)
// ---------------------------------------------------------------------------------------------

describe('authentication and permissions', () => {
  const READ_ONLY = 'kpat_readonlyTOKENforTESTS0123456789abcdefghijklmn';
  const emulator = useEmulator({ seed: SEED, readOnlyTokens: [READ_ONLY] });

  test('a request without a token is 401 Unauthorized', async () => {
    assertProblem(await call(emulator().baseUrl, 'GET', '/v2/audit-log-webhook'), UNAUTHORIZED);
  });

  test('an unknown token is 401 Unauthorized', async () => {
    assertProblem(await call(emulator().baseUrl, 'GET', '/v2/audit-log-webhook', { token: 'kpat_not-a-known-token' }), UNAUTHORIZED);
  });

  test('a malformed Authorization header is 401 Unauthorized', async () => {
    const res = await call(emulator().baseUrl, 'GET', '/v2/audit-log-webhook', { headers: { Authorization: `Basic ${emulator().token}` } });
    assertProblem(res, UNAUTHORIZED);
  });

  test('a read-only token may read: GET is 200', async () => {
    const res = await call(emulator().baseUrl, 'GET', '/v2/audit-log-webhook', { token: READ_ONLY });
    ok(res);
    assert.equal(res.text, UNCONFIGURED_V2);
  });

  test('a read-only token may not write: PATCH is 403 and changes nothing', async () => {
    const res = await call(emulator().baseUrl, 'PATCH', '/v2/audit-log-webhook', { token: READ_ONLY, body: { endpoint: 'https://example.com/audit-logs' } });
    assertProblem(res, { status: 403, title: 'Forbidden', detail: 'You do not have permission to perform this action' });
    assert.equal((await call(emulator().baseUrl, 'GET', '/v2/audit-log-webhook', { token: emulator().token })).text, UNCONFIGURED_V2);
  });

  test('a read-only token may not create destinations or start replays either', async () => {
    const forbidden = { status: 403, title: 'Forbidden', detail: 'You do not have permission to perform this action' };
    const create = await call(emulator().baseUrl, 'POST', '/v3/audit-log-destinations', { token: READ_ONLY, body: { name: 'x' } });
    assertProblem(create, forbidden);
    const replay = await call(emulator().baseUrl, 'PUT', '/v2/audit-log-replay-job', { token: READ_ONLY, body: {} });
    assertProblem(replay, forbidden);
  });

  test('the JWKS is public: no token needed, and the seed gives the reference key', async () => {
    const res = await call(emulator().baseUrl, 'GET', '/v2/audit-log-webhook/jwks.json');
    ok(res);
    assert.equal(res.text, SEED_JWKS);
  });

  test('the JWKS is served through a region prefix too', async () => {
    const res = await call(emulator().regionUrl('eu'), 'GET', '/v2/audit-log-webhook/jwks.json');
    ok(res);
    assert.equal(res.text, SEED_JWKS);
  });
});

// ---------------------------------------------------------------------------------------------
// Routing, hosts and regions (reference §1.1, README "Regions and hosts")
// ---------------------------------------------------------------------------------------------

describe('routing, hosts and regions', () => {
  const emulator = useEmulator();
  const api = apiFor(emulator);
  const eu = apiFor(emulator, '/eu');
  const us = apiFor(emulator, '/us');
  const global = apiFor(emulator, '/global');

  test('an unknown path is a 404 problem', async () => {
    assertProblem(await api('GET', '/v2/no-such-thing'), NOT_FOUND);
    assertProblem(await api('GET', '/v4/audit-log-webhook'), NOT_FOUND);
  });

  test('a known path with the wrong method is 405 with an Allow header', async () => {
    const res = await api('DELETE', '/v2/audit-log-webhook');
    assertProblem(res, { status: 405, title: 'Method Not Allowed', detail: 'Method DELETE not allowed' });
    assert.equal(res.headers.get('allow'), 'GET, PATCH');
    const jwks = await api('POST', '/v2/audit-log-webhook/jwks.json');
    assert.equal(jwks.status, 405);
    assert.equal(jwks.headers.get('allow'), 'GET');
  });

  test('the global host serves destinations but not the regional webhook', async () => {
    assertProblem(await global('GET', '/v2/audit-log-webhook'), NOT_FOUND);
    assertProblem(await global('GET', '/v3/audit-log-webhook'), NOT_FOUND);
    assertProblem(await global('GET', '/v3/audit-logs'), NOT_FOUND);
    const list = ok(await global<DestinationPage>('GET', '/v3/audit-log-destinations'));
    assert.deepEqual(list, { data: [], meta: { next: null, previous: null, size: 10 } });
  });

  test('each region keeps its own webhook; the bare base URL is region us', async () => {
    const euConfig = ok(await eu<WebhookV2>('PATCH', '/v2/audit-log-webhook', { body: { endpoint: 'https://eu.example.com/logs', log_format: 'json' } }));
    assert.equal(euConfig.endpoint, 'https://eu.example.com/logs');
    assert.deepEqual(ok(await eu<WebhookV2>('GET', '/v2/audit-log-webhook')), euConfig);
    assert.equal((await us('GET', '/v2/audit-log-webhook')).text, UNCONFIGURED_V2);
    assert.equal((await api('GET', '/v2/audit-log-webhook')).text, UNCONFIGURED_V2);

    const bareConfig = ok(await api<WebhookV2>('PATCH', '/v2/audit-log-webhook', { body: { endpoint: 'https://us.example.com/logs' } }));
    assert.deepEqual(ok(await us<WebhookV2>('GET', '/v2/audit-log-webhook')), bareConfig);
    assert.deepEqual(ok(await eu<WebhookV2>('GET', '/v2/audit-log-webhook')), euConfig);
    assert.equal((await apiFor(emulator, '/au')('GET', '/v2/audit-log-webhook')).text, UNCONFIGURED_V2);
  });

  test('a trailing slash routes to the same operation', async () => {
    ok(await api('GET', '/v2/audit-log-webhook/status/'));
  });
});

// ---------------------------------------------------------------------------------------------
// v2 webhook, inline configuration (reference §2.1, §2.2)
// ---------------------------------------------------------------------------------------------

describe('v2 webhook (inline configuration)', () => {
  const emulator = useEmulator();
  const api = apiFor(emulator);
  const au = apiFor(emulator, '/au');
  const sg = apiFor(emulator, '/sg');

  test('an unconfigured region answers the exact unconfigured body', async () => {
    const res = await api('GET', '/v2/audit-log-webhook');
    ok(res);
    assert.equal(res.text, UNCONFIGURED_V2);
  });

  test('PATCH stores the configuration and never returns the authorization', async () => {
    const before = Date.now();
    const body = { endpoint: 'https://example.com/audit-logs', authorization: 'Bearer s3cret', log_format: 'json', skip_ssl_verification: true };
    const patched = ok(await api<WebhookV2>('PATCH', '/v2/audit-log-webhook', { body }));
    assert.deepEqual(Object.keys(patched).sort(), ['enabled', 'endpoint', 'log_format', 'skip_ssl_verification', 'updated_at']);
    assert.deepEqual(
      { ...patched, updated_at: 'x' },
      { endpoint: 'https://example.com/audit-logs', enabled: false, log_format: 'json', skip_ssl_verification: true, updated_at: 'x' },
    );
    assert.ok(Date.parse(patched.updated_at) >= before - 1000, patched.updated_at);
    const read = await api<WebhookV2>('GET', '/v2/audit-log-webhook');
    assert.deepEqual(ok(read), patched);
    assert.ok(!read.text.includes('s3cret'));
    assert.equal(emulator().inspect().regions.us?.webhook.authorization_configured, true);
  });

  test('fields absent from a later PATCH stay unchanged', async () => {
    const first = ok(await api<WebhookV2>('GET', '/v2/audit-log-webhook'));
    const patched = ok(await api<WebhookV2>('PATCH', '/v2/audit-log-webhook', { body: { log_format: 'cps' } }));
    assert.deepEqual({ ...patched, updated_at: first.updated_at }, { ...first, log_format: 'cps' });
    assert.equal(emulator().inspect().regions.us?.webhook.authorization_configured, true);
    const disabled = ok(await api<WebhookV2>('PATCH', '/v2/audit-log-webhook', { body: { enabled: false } }));
    assert.equal(disabled.endpoint, 'https://example.com/audit-logs');
    assert.equal(disabled.log_format, 'cps');
    assert.equal(disabled.skip_ssl_verification, true);
  });

  test('a body that is not JSON is 400 "Could not parse request body"', async () => {
    const expected = badRequest('Could not parse request body', { field: 'body', reason: 'request format is invalid' });
    const headers = { 'Content-Type': 'application/json' };
    assertProblem(await api('PATCH', '/v2/audit-log-webhook', { rawBody: '{"endpoint":', headers }), expected);
    assertProblem(await api('PATCH', '/v2/audit-log-webhook', { rawBody: '[1,2]', headers }), expected);
    assertProblem(await api('PATCH', '/v2/audit-log-webhook'), expected);
  });

  test('a blank endpoint is 400 "Required field missing" / "cannot be blank"', async () => {
    assertProblem(await api('PATCH', '/v2/audit-log-webhook', { body: { endpoint: '' } }), badRequest('Required field missing', { field: 'endpoint', reason: 'cannot be blank' }));
  });

  test('a blank authorization is 400 "Required field missing" / "cannot be blank"', async () => {
    assertProblem(await api('PATCH', '/v2/audit-log-webhook', { body: { authorization: '' } }), badRequest('Required field missing', { field: 'authorization', reason: 'cannot be blank' }));
  });

  test('an endpoint that is not a URL is 400 "Invalid endpoint" / "must be a valid URL"', async () => {
    const expected = badRequest('Invalid endpoint', { field: 'endpoint', reason: 'must be a valid URL' });
    assertProblem(await api('PATCH', '/v2/audit-log-webhook', { body: { endpoint: 'not a url' } }), expected);
    assertProblem(await api('PATCH', '/v2/audit-log-webhook', { body: { endpoint: 'ftp://example.com/logs' } }), expected);
  });

  test('an unknown log_format is 400 with the enum rule and its choices', async () => {
    assertProblem(
      await api('PATCH', '/v2/audit-log-webhook', { body: { log_format: 'xml' } }),
      badRequest('Invalid log format', { field: 'log_format', rule: 'enum', choices: ['cef', 'json', 'cps'], reason: 'must be one of: cef, json, cps', source: 'body' }),
    );
  });

  test('a non-boolean enabled is 400 is_boolean', async () => {
    assertProblem(
      await api('PATCH', '/v2/audit-log-webhook', { body: { enabled: 'yes' } }),
      badRequest('Invalid request body', { field: 'enabled', rule: 'is_boolean', reason: 'must be a boolean', source: 'body' }),
    );
  });

  test('rejected PATCHes leave the configuration unchanged', async () => {
    const before = ok(await api<WebhookV2>('GET', '/v2/audit-log-webhook'));
    await api('PATCH', '/v2/audit-log-webhook', { body: { log_format: 'cef', endpoint: '' } });
    await api('PATCH', '/v2/audit-log-webhook', { body: { log_format: 'cef', endpoint: 'nope' } });
    assert.deepEqual(ok(await api<WebhookV2>('GET', '/v2/audit-log-webhook')), before);
  });

  test('enabling with no endpoint configured is 400 and configures nothing', async () => {
    assertProblem(await au('PATCH', '/v2/audit-log-webhook', { body: { enabled: true } }), badRequest('Required field missing', { field: 'endpoint', reason: 'cannot be blank' }));
    assertProblem(
      await au('PATCH', '/v2/audit-log-webhook', { body: { enabled: true, log_format: 'json', authorization: 'Bearer x' } }),
      badRequest('Required field missing', { field: 'endpoint', reason: 'cannot be blank' }),
    );
    assert.equal((await au('GET', '/v2/audit-log-webhook')).text, UNCONFIGURED_V2);
    assert.equal((await au('GET', '/v2/audit-log-webhook/status')).text, UNCONFIGURED_STATUS);
    // Nothing of the rejected PATCH leaks into the next one.
    const configured = ok(await au<WebhookV2>('PATCH', '/v2/audit-log-webhook', { body: { endpoint: 'https://au.example.com/logs' } }));
    assert.equal(configured.log_format, 'cef');
    assert.equal(emulator().inspect().regions.au?.webhook.authorization_configured, false);
  });

  test('PATCH enabled=false alone configures the region (status leaves unconfigured)', async () => {
    const patched = ok(await sg<WebhookV2>('PATCH', '/v2/audit-log-webhook', { body: { enabled: false } }));
    assert.equal(patched.enabled, false);
    assert.deepEqual(ok(await sg<WebhookStatus>('GET', '/v2/audit-log-webhook/status')), { webhook_status: 'active', webhook_enabled: false });
  });
});

// ---------------------------------------------------------------------------------------------
// v3 webhook, destination-bound (reference §3.1, README choices)
// ---------------------------------------------------------------------------------------------

describe('v3 webhook (destination-bound)', () => {
  const emulator = useEmulator();
  const api = apiFor(emulator);
  const eu = apiFor(emulator, '/eu');

  test('an unconfigured region answers {"audit_log_destination_id":"","enabled":false}', async () => {
    const res = await api('GET', '/v3/audit-log-webhook');
    ok(res);
    assert.equal(res.text, UNCONFIGURED_V3);
  });

  test('a destination id that is not a UUID is 400 "Could not parse destination id"', async () => {
    assertProblem(
      await api('PATCH', '/v3/audit-log-webhook', { body: { audit_log_destination_id: 'dest-123' } }),
      badRequest('Could not parse destination id', { field: 'audit_log_destination_id', reason: 'destination id format is invalid' }),
    );
  });

  test('an unknown destination UUID is 404', async () => {
    assertProblem(await api('PATCH', '/v3/audit-log-webhook', { body: { audit_log_destination_id: '6945c4c4-3e06-4c5c-87e0-726d0cda4e05' } }), {
      status: 404,
      title: 'Not Found',
      detail: 'Audit log destination not found',
    });
  });

  test('enabling without a destination is 400 "Required field missing"', async () => {
    assertProblem(await eu('PATCH', '/v3/audit-log-webhook', { body: { enabled: true } }), badRequest('Required field missing', { field: 'audit_log_destination_id', reason: 'cannot be blank' }));
    assert.equal((await eu('GET', '/v3/audit-log-webhook')).text, UNCONFIGURED_V3);
  });

  test('a non-JSON body is 400 "Could not parse request body"', async () => {
    assertProblem(
      await api('PATCH', '/v3/audit-log-webhook', { rawBody: 'nope', headers: { 'Content-Type': 'application/json' } }),
      badRequest('Could not parse request body', { field: 'body', reason: 'request format is invalid' }),
    );
  });

  test('binding a destination shows it in v3 and, with its endpoint and format, in v2', async () => {
    const destination = await createDestination(api, { name: 'bound', endpoint: 'https://bound.example.com/logs', log_format: 'json' });
    const bound = ok(await api<WebhookV3>('PATCH', '/v3/audit-log-webhook', { body: { audit_log_destination_id: destination.id } }));
    assert.deepEqual(bound, { audit_log_destination_id: destination.id, enabled: false });
    assert.deepEqual(ok(await api<WebhookV3>('GET', '/v3/audit-log-webhook')), bound);
    const v2 = ok(await api<WebhookV2>('GET', '/v2/audit-log-webhook'));
    assert.deepEqual(
      { ...v2, updated_at: 'x' },
      { endpoint: 'https://bound.example.com/logs', enabled: false, log_format: 'json', skip_ssl_verification: false, audit_log_destination_id: destination.id, updated_at: 'x' },
    );
    assert.notEqual(v2.updated_at, ZERO_TIME);
    // A PATCH that only toggles `enabled` keeps the binding.
    ok(await api<WebhookV2>('PATCH', '/v2/audit-log-webhook', { body: { enabled: false } }));
    assert.equal(ok(await api<WebhookV3>('GET', '/v3/audit-log-webhook')).audit_log_destination_id, destination.id);
  });

  test('DELETE is 204 and the v2 GET is back to the exact unconfigured body', async () => {
    const res = await api('DELETE', '/v3/audit-log-webhook');
    assert.equal(res.status, 204);
    assert.equal(res.text, '');
    assert.equal((await api('GET', '/v2/audit-log-webhook')).text, UNCONFIGURED_V2);
    assert.equal((await api('GET', '/v3/audit-log-webhook')).text, UNCONFIGURED_V3);
    assert.equal((await api('GET', '/v3/audit-log-webhook/status')).text, UNCONFIGURED_STATUS);
  });

  test('DELETE of an already unconfigured webhook is 204 as well', async () => {
    assert.equal((await eu('DELETE', '/v3/audit-log-webhook')).status, 204);
  });
});

// ---------------------------------------------------------------------------------------------
// Webhook status (reference §2.3, §10)
// ---------------------------------------------------------------------------------------------

describe('webhook status', () => {
  const emulator = useEmulator({ timeScale: 0.01 });
  const api = apiFor(emulator);
  let receiver: TestReceiver;
  before(async () => {
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver.close();
  });

  test('an unconfigured region is {"webhook_status":"unconfigured","webhook_enabled":false} on v2 and v3', async () => {
    for (const path of ['/v2/audit-log-webhook/status', '/v3/audit-log-webhook/status']) {
      const res = await api('GET', path);
      ok(res);
      assert.equal(res.text, UNCONFIGURED_STATUS);
    }
  });

  test('after configuring an enabled webhook it is active, then reports the last delivery', async () => {
    ok(await api('PATCH', '/v2/audit-log-webhook', { body: { endpoint: receiver.url, authorization: 'Bearer receiver-secret', enabled: true, log_format: 'json' } }));
    const status = ok(await api<WebhookStatus>('GET', '/v2/audit-log-webhook/status'));
    assert.equal(status.webhook_status, 'active');
    assert.equal(status.webhook_enabled, true);

    // The PATCH's own audit events are delivered to the receiver; the status then shows the attempt.
    const delivered = await eventually(
      'a delivery attempt in the status',
      async () => ok(await api<WebhookStatus>('GET', '/v2/audit-log-webhook/status')),
      (s) => s.last_response_code !== undefined,
    );
    assert.equal(delivered.webhook_status, 'active');
    assert.equal(delivered.webhook_enabled, true);
    assert.equal(delivered.last_response_code, 202);
    assert.equal(typeof delivered.last_response_message, 'string');
    assert.ok(!Number.isNaN(Date.parse(delivered.last_attempt_at ?? '')), delivered.last_attempt_at);
    assert.equal(receiver.requests[0]?.headers.authorization, 'Bearer receiver-secret');
    assert.equal(ok(await api<WebhookStatus>('GET', '/v3/audit-log-webhook/status')).webhook_status, 'active');
  });

  test('disabling keeps the status active with webhook_enabled false', async () => {
    ok(await api('PATCH', '/v2/audit-log-webhook', { body: { enabled: false } }));
    const status = ok(await api<WebhookStatus>('GET', '/v2/audit-log-webhook/status'));
    assert.equal(status.webhook_status, 'active');
    assert.equal(status.webhook_enabled, false);
  });
});

// ---------------------------------------------------------------------------------------------
// Destinations CRUD (reference §2.6, §3.3; org-wide, served on regional and global hosts)
// ---------------------------------------------------------------------------------------------

describe('audit-log destinations', () => {
  const emulator = useEmulator();
  const api = apiFor(emulator);
  const variants = [
    { label: 'v2 on the bare base URL', prefix: '', version: 'v2' },
    { label: 'v3 on the bare base URL', prefix: '', version: 'v3' },
    { label: 'v3 on the global host', prefix: '/global', version: 'v3' },
    { label: 'v2 on the global host', prefix: '/global', version: 'v2' },
    { label: 'v3 on region eu', prefix: '/eu', version: 'v3' },
  ] as const;

  for (const { label, prefix, version } of variants) {
    test(`${label}: create 201, get, patch, delete 204, then 404`, async () => {
      const host = apiFor(emulator, prefix);
      const base = `/${version}/audit-log-destinations`;
      const create = await host<Destination>('POST', base, {
        body: { name: `dest ${label}`, endpoint: 'https://siem.example.com/logs', authorization: 'Splunk s3cret-token', log_format: 'cef' },
      });
      const created = ok(create, 201);
      assert.ok(!create.text.includes('s3cret'));
      assert.deepEqual(Object.keys(created).sort(), ['created_at', 'endpoint', 'id', 'log_format', 'name', 'skip_ssl_verification', 'updated_at']);
      assert.match(created.id, UUID);
      assert.deepEqual(
        { ...created, id: 'x', created_at: 'x', updated_at: 'x' },
        { id: 'x', name: `dest ${label}`, endpoint: 'https://siem.example.com/logs', log_format: 'cef', skip_ssl_verification: false, created_at: 'x', updated_at: 'x' },
      );
      assert.equal(created.created_at, created.updated_at);

      // Org-wide: every host sees it.
      assert.deepEqual(ok(await host<Destination>('GET', `${base}/${created.id}`)), created);
      assert.deepEqual(ok(await apiFor(emulator, '/global')<Destination>('GET', `/v3/audit-log-destinations/${created.id}`)), created);
      assert.deepEqual(ok(await apiFor(emulator, '/au')<Destination>('GET', `/v2/audit-log-destinations/${created.id}`)), created);

      const patch = await host<Destination>('PATCH', `${base}/${created.id}`, { body: { name: 'renamed', authorization: 'Bearer n3w', skip_ssl_verification: true, log_format: 'cps' } });
      const patched = ok(patch);
      assert.ok(!patch.text.includes('n3w'));
      assert.deepEqual(
        { ...patched, updated_at: 'x' },
        { ...created, name: 'renamed', skip_ssl_verification: true, log_format: 'cps', updated_at: 'x' },
      );
      assert.ok(Date.parse(patched.updated_at) >= Date.parse(created.updated_at));
      assert.deepEqual(ok(await host<Destination>('GET', `${base}/${created.id}`)), patched);

      const del = await host('DELETE', `${base}/${created.id}`);
      assert.equal(del.status, 204);
      assert.equal(del.text, '');
      assertProblem(await host('GET', `${base}/${created.id}`), NOT_FOUND);
      assertProblem(await host('DELETE', `${base}/${created.id}`), NOT_FOUND);
    });
  }

  test('create with every required field missing is 400 listing each of them', async () => {
    const blank = (field: string) => ({ field, reason: 'cannot be blank' });
    assertProblem(
      await api('POST', '/v3/audit-log-destinations', { body: {} }),
      badRequest('Required field missing', blank('name'), blank('endpoint'), blank('authorization'), blank('log_format')),
    );
    assertProblem(
      await api('POST', '/v2/audit-log-destinations', { body: { name: 'half', endpoint: 'https://example.com/x' } }),
      badRequest('Required field missing', blank('authorization'), blank('log_format')),
    );
    assertProblem(
      await api('POST', '/v3/audit-log-destinations', { body: { name: '', endpoint: 'https://example.com/x', authorization: 'a', log_format: 'cef' } }),
      badRequest('Required field missing', blank('name')),
    );
  });

  test('create with an invalid endpoint or log_format is 400, and a non-JSON body too', async () => {
    const fields = { name: 'bad', endpoint: 'https://example.com/x', authorization: 'Bearer a', log_format: 'cef' };
    assertProblem(
      await api('POST', '/v3/audit-log-destinations', { body: { ...fields, endpoint: 'example.com' } }),
      badRequest('Invalid endpoint', { field: 'endpoint', reason: 'must be a valid URL' }),
    );
    assertProblem(
      await api('POST', '/v3/audit-log-destinations', { body: { ...fields, log_format: 'syslog' } }),
      badRequest('Invalid log format', { field: 'log_format', rule: 'enum', choices: ['cef', 'json', 'cps'], reason: 'must be one of: cef, json, cps', source: 'body' }),
    );
    assertProblem(
      await api('POST', '/v3/audit-log-destinations', { rawBody: 'name=bad', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }),
      badRequest('Could not parse request body', { field: 'body', reason: 'request format is invalid' }),
    );
    assert.deepEqual(ok(await api<DestinationPage>('GET', '/v3/audit-log-destinations')).data, []);
  });

  test('patch with a blank name or a bad endpoint is 400 and changes nothing', async () => {
    const d = await createDestination(api, { name: 'keep' });
    assertProblem(await api('PATCH', `/v3/audit-log-destinations/${d.id}`, { body: { name: '' } }), badRequest('Required field missing', { field: 'name', reason: 'cannot be blank' }));
    assertProblem(
      await api('PATCH', `/v3/audit-log-destinations/${d.id}`, { body: { endpoint: 'nope' } }),
      badRequest('Invalid endpoint', { field: 'endpoint', reason: 'must be a valid URL' }),
    );
    assert.deepEqual(ok(await api<Destination>('GET', `/v3/audit-log-destinations/${d.id}`)), d);
    assert.equal((await api('DELETE', `/v3/audit-log-destinations/${d.id}`)).status, 204);
  });

  test('an unknown id is 404 for get, patch and delete (UUID or not)', async () => {
    for (const id of ['07ec3858-066b-4629-bdc5-d4aa893b424d', 'not-a-uuid']) {
      assertProblem(await api('GET', `/v2/audit-log-destinations/${id}`), NOT_FOUND);
      assertProblem(await api('PATCH', `/v3/audit-log-destinations/${id}`, { body: { name: 'x' } }), NOT_FOUND);
      assertProblem(await api('DELETE', `/v3/audit-log-destinations/${id}`), NOT_FOUND);
    }
  });

  test('deleting a destination bound to a webhook is 409 "Destination is in use" until the webhook is released', async () => {
    const d = await createDestination(api, { name: 'in use' });
    ok(await api('PATCH', '/v3/audit-log-webhook', { body: { audit_log_destination_id: d.id } }));
    for (const path of [`/v2/audit-log-destinations/${d.id}`, `/v3/audit-log-destinations/${d.id}`]) {
      assertProblem(await api('DELETE', path), { status: 409, title: 'Conflict', detail: 'Destination is in use' });
    }
    assertProblem(await apiFor(emulator, '/global')('DELETE', `/v3/audit-log-destinations/${d.id}`), { status: 409, title: 'Conflict', detail: 'Destination is in use' });

    // kongctl's release sequence: disable through v2, then delete the v3 webhook.
    ok(await api('PATCH', '/v2/audit-log-webhook', { body: { enabled: false } }));
    assertProblem(await api('DELETE', `/v2/audit-log-destinations/${d.id}`), { status: 409, title: 'Conflict', detail: 'Destination is in use' });
    assert.equal((await api('DELETE', '/v3/audit-log-webhook')).status, 204);
    assert.equal((await api('DELETE', `/v2/audit-log-destinations/${d.id}`)).status, 204);
  });

  test('a destination bound in another region is in use as well', async () => {
    const d = await createDestination(api, { name: 'eu bound' });
    const eu = apiFor(emulator, '/eu');
    ok(await eu('PATCH', '/v3/audit-log-webhook', { body: { audit_log_destination_id: d.id } }));
    assertProblem(await api('DELETE', `/v3/audit-log-destinations/${d.id}`), { status: 409, title: 'Conflict', detail: 'Destination is in use' });
    assert.equal((await eu('DELETE', '/v3/audit-log-webhook')).status, 204);
    assert.equal((await api('DELETE', `/v3/audit-log-destinations/${d.id}`)).status, 204);
  });
});

// ---------------------------------------------------------------------------------------------
// Destination pagination and filters (reference §1.5)
// ---------------------------------------------------------------------------------------------

describe('destination pagination and filters', () => {
  const emulator = useEmulator();
  const api = apiFor(emulator);
  const global = apiFor(emulator, '/global');
  const names = Array.from({ length: 25 }, (_, i) => `dest-${String(i + 1).padStart(2, '0')}`);
  let ids: string[] = [];

  before(async () => {
    ids = [];
    for (const name of names) ids.push((await createDestination(global, { name })).id);
  });

  async function walk(host: Api, firstPath: string): Promise<DestinationPage[]> {
    const pages: DestinationPage[] = [];
    let next: string | null = firstPath;
    while (next !== null) {
      assert.ok(pages.length < 10, 'the walk ends');
      const page: DestinationPage = ok(await host<DestinationPage>('GET', next));
      pages.push(page);
      next = page.meta.next;
    }
    return pages;
  }

  for (const { label, host, version } of [
    { label: 'v3 on the global host', host: global, version: 'v3' },
    { label: 'v2 on the bare base URL', host: api, version: 'v2' },
  ]) {
    test(`${label}: page[size]=10 following meta.next returns all 25 exactly once, in creation order`, async () => {
      const pages = await walk(host, `/${version}/audit-log-destinations?page[size]=10`);
      assert.deepEqual(
        pages.map((p) => p.data.length),
        [10, 10, 5],
      );
      for (const page of pages) {
        assert.deepEqual(Object.keys(page.meta).sort(), ['next', 'previous', 'size'], 'meta is flat, not meta.page');
        assert.equal(page.meta.size, 10);
      }
      assert.equal(pages[0]?.meta.previous, null);
      assert.equal(pages[2]?.meta.next, null);
      assert.deepEqual(
        pages.flatMap((p) => p.data.map((d) => d.id)),
        ids,
      );
      assert.ok(pages[0]?.meta.next?.startsWith(`/${version}/audit-log-destinations?`), pages[0]?.meta.next ?? 'null');
    });

    test(`${label}: meta.previous from page 2 returns page 1`, async () => {
      const pages = await walk(host, `/${version}/audit-log-destinations?page[size]=10`);
      const previous = pages[1]?.meta.previous;
      assert.ok(previous);
      const first = ok(await host<DestinationPage>('GET', previous));
      assert.deepEqual(first.data, pages[0]?.data);
      assert.equal(first.meta.previous, null);
      assert.ok(first.meta.next);
    });
  }

  test('the default page size is 10', async () => {
    const page = ok(await api<DestinationPage>('GET', '/v3/audit-log-destinations'));
    assert.equal(page.data.length, 10);
    assert.equal(page.meta.size, 10);
    assert.ok(page.meta.next);
  });

  test('filter[name] as a bare string works on v2 and is 400 on v3', async () => {
    const v2 = ok(await api<DestinationPage>('GET', '/v2/audit-log-destinations?filter[name]=dest-07'));
    assert.deepEqual(
      v2.data.map((d) => d.name),
      ['dest-07'],
    );
    assertProblem(
      await global('GET', '/v3/audit-log-destinations?filter[name]=dest-07'),
      badRequest('Invalid filter', { field: 'filter[name]', reason: 'must use an operator: filter[name][eq] or filter[name][contains]', source: 'query' }),
    );
  });

  for (const version of ['v2', 'v3']) {
    test(`${version}: filter[name][eq] and filter[name][contains] select by name`, async () => {
      const eq = ok(await global<DestinationPage>('GET', `/${version}/audit-log-destinations?filter[name][eq]=dest-07`));
      assert.deepEqual(
        eq.data.map((d) => d.name),
        ['dest-07'],
      );
      const none = ok(await global<DestinationPage>('GET', `/${version}/audit-log-destinations?filter[name][eq]=dest-7`));
      assert.deepEqual(none, { data: [], meta: { next: null, previous: null, size: 10 } });
      const contains = ok(await global<DestinationPage>('GET', `/${version}/audit-log-destinations?filter[name][contains]=dest-1&page[size]=100`));
      assert.deepEqual(
        contains.data.map((d) => d.name),
        names.slice(9, 19),
      );
    });
  }

  test('meta.next keeps the filter while paging', async () => {
    const pages = await walk(global, '/v3/audit-log-destinations?filter[name][contains]=2&page[size]=3');
    assert.deepEqual(
      pages.map((p) => p.data.map((d) => d.name)),
      [
        ['dest-02', 'dest-12', 'dest-20'],
        ['dest-21', 'dest-22', 'dest-23'],
        ['dest-24', 'dest-25'],
      ],
    );
  });

  test('an unknown filter operator is 400', async () => {
    assertProblem(
      await global('GET', '/v3/audit-log-destinations?filter[name][like]=dest'),
      badRequest('Invalid filter', { field: 'filter[name]', rule: 'enum', choices: ['eq', 'contains'], reason: 'use exactly one of the operators eq, contains', source: 'query' }),
    );
  });

  test('page[size]=0, =abc and =1001 are 400', async () => {
    for (const version of ['v2', 'v3']) {
      const path = `/${version}/audit-log-destinations?page[size]=`;
      assertProblem(await api('GET', `${path}0`), badRequest('Invalid page size', { field: 'page[size]', rule: 'min', minimum: 1, reason: 'must be at least 1', source: 'query' }));
      assertProblem(await api('GET', `${path}abc`), badRequest('Invalid page size', { field: 'page[size]', rule: 'is_integer', reason: 'must be an integer', source: 'query' }));
      assertProblem(await api('GET', `${path}1001`), badRequest('Invalid page size', { field: 'page[size]', rule: 'max', maximum: 1000, reason: 'must be at most 1000', source: 'query' }));
    }
    assert.equal(ok(await api<DestinationPage>('GET', '/v3/audit-log-destinations?page[size]=1000')).data.length, 25);
  });

  test('a malformed cursor is 400', async () => {
    assertProblem(
      await api('GET', '/v3/audit-log-destinations?page[after]=%25%25%25'),
      badRequest('Invalid cursor', { field: 'page[after]', reason: 'is not a valid page cursor', source: 'query' }),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Replay jobs (reference §2.5, §9)
// ---------------------------------------------------------------------------------------------

describe('replay jobs', () => {
  const emulator = useEmulator({ timeScale: 0.01 });
  const api = apiFor(emulator);
  let receiver: TestReceiver;
  before(async () => {
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver.close();
  });

  test('GET before any job is the exact initial body on v2 and v3', async () => {
    for (const path of ['/v2/audit-log-replay-job', '/v3/audit-log-replay-job']) {
      const res = await api('GET', path);
      ok(res);
      assert.equal(res.text, INITIAL_REPLAY);
    }
  });

  test('PUT with missing fields is 400 "Required field missing"', async () => {
    const param = (field: string) => ({ field, rule: 'required', reason: 'is a required field', source: 'body' });
    const required = (field: string) => badRequest('Required field missing', param(field));
    assertProblem(await api('PUT', '/v2/audit-log-replay-job', { body: {} }), badRequest('Required field missing', param('start_at'), param('end_at')));
    assertProblem(await api('PUT', '/v2/audit-log-replay-job', { body: { start_at: rfc3339(nowSeconds() - HOUR) } }), required('end_at'));
    assertProblem(await api('PUT', '/v3/audit-log-replay-job', { body: { end_at: rfc3339(nowSeconds() - HOUR) } }), required('start_at'));
  });

  test('PUT with a time that is not RFC 3339 is 400 is_date_time', async () => {
    const end = rfc3339(nowSeconds());
    for (const start of ['2024-01-01', 'yesterday', String(Date.now())]) {
      assertProblem(
        await api('PUT', '/v2/audit-log-replay-job', { body: { start_at: start, end_at: end } }),
        badRequest('Invalid date-time', { field: 'start_at', rule: 'is_date_time', reason: 'must be an RFC 3339 date-time', source: 'body' }),
      );
    }
  });

  test('PUT with a start older than 7 days is 400', async () => {
    const now = nowSeconds();
    assertProblem(
      await api('PUT', '/v2/audit-log-replay-job', { body: { start_at: rfc3339(now - 8 * DAY), end_at: rfc3339(now - HOUR) } }),
      badRequest('Invalid replay range', { field: 'start_at', reason: 'must be within the last 7 days', source: 'body' }),
    );
  });

  test('PUT with the start after the end is 400', async () => {
    const now = nowSeconds();
    assertProblem(
      await api('PUT', '/v2/audit-log-replay-job', { body: { start_at: rfc3339(now - HOUR), end_at: rfc3339(now - 2 * HOUR) } }),
      badRequest('Invalid replay range', { field: 'end_at', reason: 'must not be before start_at', source: 'body' }),
    );
  });

  test('PUT with an end in the future is 400', async () => {
    const now = nowSeconds();
    assertProblem(
      await api('PUT', '/v2/audit-log-replay-job', { body: { start_at: rfc3339(now - HOUR), end_at: rfc3339(now + HOUR) } }),
      badRequest('Invalid replay range', { field: 'end_at', reason: 'must not be in the future', source: 'body' }),
    );
    assert.equal((await api('GET', '/v2/audit-log-replay-job')).text, INITIAL_REPLAY);
  });

  test('a valid PUT is 202 accepted and the job fails when no webhook is enabled', async () => {
    const au = apiFor(emulator, '/au');
    const now = nowSeconds();
    const start = rfc3339(now - 2 * HOUR);
    const end = rfc3339(now - HOUR);
    const accepted = ok(await au<ReplayJob>('PUT', '/v2/audit-log-replay-job', { body: { start_at: start, end_at: end } }), 202);
    assert.deepEqual({ ...accepted, updated_at: 'x' }, { start_at: start, end_at: end, status: 'accepted', updated_at: 'x' });
    assert.notEqual(accepted.updated_at, ZERO_TIME);
    const failed = await replayReaches(au, '/v3/audit-log-replay-job', 'failed');
    assert.equal(failed.start_at, start);
    assert.equal(failed.end_at, end);
    // A finished job is replaced by the next PUT.
    ok(await au<ReplayJob>('PUT', '/v3/audit-log-replay-job', { body: { start_at: start, end_at: start } }), 202);
    await replayReaches(au, '/v2/audit-log-replay-job', 'failed');
  });

  test('with a webhook at a receiver the job completes and re-sends exactly the records in range', async () => {
    const eu = apiFor(emulator, '/eu');
    const now = nowSeconds();
    await emulator().generate({ count: 10, region: 'eu', fromMs: now - 40 * MINUTE, toMs: now - 31 * MINUTE });
    ok(await eu('PATCH', '/v2/audit-log-webhook', { body: { endpoint: receiver.url, authorization: 'Bearer replay', log_format: 'json', enabled: true } }));
    const start = now - 45 * MINUTE;
    const end = now - 30 * MINUTE;
    ok(await eu<ReplayJob>('PUT', '/v2/audit-log-replay-job', { body: { start_at: rfc3339(start), end_at: rfc3339(end) } }), 202);
    const completed = await replayReaches(eu, '/v2/audit-log-replay-job', 'completed');
    assert.deepEqual({ ...completed, updated_at: 'x' }, { start_at: rfc3339(start), end_at: rfc3339(end), status: 'completed', updated_at: 'x' });
    assert.equal(emulator().inspect().regions.eu?.replay.records_sent, 10);
    const replayed = receiver
      .lines()
      .map((line) => JSON.parse(line) as { rt: number })
      .filter((r) => r.rt >= start && r.rt <= end);
    assert.equal(replayed.length, 10);
  });
});

describe('replay jobs: one active job per scope', () => {
  // Real time (timeScale 1): the job stays accepted/pending for two seconds, long enough to race it deterministically.
  const emulator = useEmulator();
  const api = apiFor(emulator);

  test('a second PUT while a job is active is 409 "Resource Conflict", and so is deleting the webhook', async () => {
    const now = nowSeconds();
    const body = { start_at: rfc3339(now - HOUR), end_at: rfc3339(now) };
    ok(await api<ReplayJob>('PUT', '/v2/audit-log-replay-job', { body }), 202);
    const conflict: ExpectedProblem = { status: 409, title: 'Resource Conflict', detail: 'A replay job is currently running' };
    assertProblem(await api('PUT', '/v2/audit-log-replay-job', { body }), conflict);
    assertProblem(await api('PUT', '/v3/audit-log-replay-job', { body }), conflict);
    assertProblem(await api('DELETE', '/v3/audit-log-webhook'), conflict);
    // Another region has its own job.
    ok(await apiFor(emulator, '/eu')<ReplayJob>('PUT', '/v2/audit-log-replay-job', { body }), 202);
  });
});

// ---------------------------------------------------------------------------------------------
// Pull API, GET /v3/audit-logs (reference §3.4)
// ---------------------------------------------------------------------------------------------

describe('pull API /v3/audit-logs', () => {
  const emulator = useEmulator();
  const api = apiFor(emulator);

  before(async () => {
    await emulator().generate({ count: 45 });
    // API calls record their own events too (authentication, authorization, and access for writes).
    ok(await api('PATCH', '/v2/audit-log-webhook', { body: { endpoint: 'https://example.com/pull-test' } }));
    ok(await api('GET', '/v2/audit-log-webhook'));
  });

  const keyOf = (r: PullRecord) => `${r.type}:${r.trace_id}`;

  test('page[size]=20 following meta.page.next returns every record once, oldest first', async () => {
    const storedBefore = storedEvents(emulator(), 'us');
    assert.ok(storedBefore >= 45 + 5, `stored ${storedBefore}`);
    const pages: PullPage[] = [];
    let next: string | null = '/v3/audit-logs?page[size]=20';
    while (next !== null) {
      assert.ok(pages.length < 20, 'the walk ends');
      const page: PullPage = ok(await api<PullPage>('GET', next));
      assert.ok(page.data.length <= 20);
      assert.equal(page.meta.page.size, 20);
      pages.push(page);
      next = page.meta.page.next;
    }
    const records = pages.flatMap((p) => p.data);
    // Every event stored so far was seen, except those of the last request (recorded after it answered: authentication + authorization).
    assert.equal(records.length, storedEvents(emulator(), 'us') - 2);
    assert.ok(records.length >= storedBefore);
    assert.equal(new Set(records.map(keyOf)).size, records.length, 'no record twice');
    for (let i = 1; i < records.length; i++) {
      assert.ok(Date.parse(records[i]!.ts) >= Date.parse(records[i - 1]!.ts), `ascending at ${i}`);
    }
    assert.ok(pages.length >= 3);
    assert.equal(pages[0]?.meta.page.previous, null);
    assert.ok(pages[0]?.meta.page.next?.startsWith('/v3/audit-logs?'));
  });

  test('meta.page.previous from page 2 returns page 1', async () => {
    const first = ok(await api<PullPage>('GET', '/v3/audit-logs?page[size]=20'));
    assert.ok(first.meta.page.next);
    const second = ok(await api<PullPage>('GET', first.meta.page.next));
    assert.ok(second.meta.page.previous);
    const back = ok(await api<PullPage>('GET', second.meta.page.previous));
    assert.deepEqual(back.data, first.data);
    assert.equal(back.meta.page.previous, null);
  });

  test('filter[type]=authorization returns only authorization records', async () => {
    for (const type of ['authorization', 'authentication', 'gateway_access']) {
      const page = ok(await api<PullPage>('GET', `/v3/audit-logs?filter[type]=${type}&page[size]=1000`));
      assert.ok(page.data.length > 0, type);
      assert.deepEqual([...new Set(page.data.map((r) => r.type))], [type]);
      assert.equal(page.meta.page.next, null);
    }
  });

  test('records use the pull field names and verify against the JWKS', async () => {
    const page = ok(await api<PullPage>('GET', '/v3/audit-logs?page[size]=1000'));
    // `query` is the request's query string (OpenAPI: "Request query string.", example filter=active), not the webhook records' JSON object.
    const queries = page.data.filter((r) => r.type === 'gateway_access').map((r) => String((r as { query?: unknown }).query));
    assert.ok(queries.some((q) => /^end=\d+&start=\d+$/.test(q)), queries.slice(0, 5).join(' | '));
    assert.ok(queries.every((q) => q === '' || /^[^={}&]+=[^&]*(&[^={}&]+=[^&]*)*$/.test(q)), queries.find((q) => q.includes('{')));
    const required: Record<string, readonly string[]> = {
      authorization: ['type', 'signature', 'service', 'resource', 'action', 'granted', 'org_id', 'ts', 'principal_id'],
      gateway_access: ['type', 'ts', 'org_id', 'principal_id', 'actor_id', 'client_ip', 'trace_id', 'user_agent', 'method', 'uri', 'query', 'status_code', 'signature'],
      authentication: ['successful', 'signature', 'outcome', 'authentication_type', 'ts', 'client_ip', 'uri', 'user_agent', 'trace_id'],
    };
    const jwks = ok(await call<{ keys: Jwk[] }>(emulator().baseUrl, 'GET', '/v2/audit-log-webhook/jwks.json'));
    const key = createPublicKey({ key: jwks.keys[0] as unknown as JsonWebKey, format: 'jwk' });
    for (const [type, fields] of Object.entries(required)) {
      const record = page.data.find((r) => r.type === type);
      assert.ok(record, `a ${type} record`);
      for (const field of fields) assert.ok(field in record, `${type} has ${field}`);
      for (const webhookName of ['rt', 'src', 'sig', 'event_ts', 'name', 'request', 'act', 'status']) assert.ok(!(webhookName in record), `${type} has no ${webhookName}`);
      assert.match(record.ts, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
      assert.match(record.trace_id, /^\d+$/);
      assert.equal(record.org_id, emulator().inspect().org_id);
      // The emulator signs the record's compact JSON with sorted keys, without `signature`.
      const { signature, ...unsigned } = record;
      const canonical = `{${Object.keys(unsigned)
        .sort()
        .map((k) => `${JSON.stringify(k)}:${JSON.stringify(unsigned[k])}`)
        .join(',')}}`;
      assert.ok(verify(null, Buffer.from(canonical), key, Buffer.from(signature, 'base64url')), `${type} signature verifies`);
    }
    const access = page.data.find((r) => r.type === 'gateway_access' && r.uri === '/v2/audit-log-webhook');
    assert.ok(access, 'the PATCH produced an access record');
    assert.equal(access.method, 'PATCH');
    assert.equal(access.status_code, 200);
  });

  test('filter[ts][gte] and filter[ts][lte] bound the results inclusively', async () => {
    const au = apiFor(emulator, '/au');
    const from = nowSeconds() - 10 * HOUR;
    // Ten events one hour apart: from, from+1h, ..., from+9h.
    assert.equal(await emulator().generate({ count: 10, region: 'au', fromMs: from, toMs: from + 9 * HOUR }), 10);
    const query = (gte: number, lte: number) => `/v3/audit-logs?filter[ts][gte]=${rfc3339(gte)}&filter[ts][lte]=${rfc3339(lte)}`;
    const bounded = ok(await au<PullPage>('GET', query(from + 2 * HOUR, from + 5 * HOUR)));
    assert.deepEqual(
      bounded.data.map((r) => Date.parse(r.ts)),
      [2, 3, 4, 5].map((h) => from + h * HOUR),
    );
    const open = ok(await au<PullPage>('GET', `/v3/audit-logs?filter[ts][lte]=${rfc3339(from + 90 * MINUTE)}`));
    assert.deepEqual(
      open.data.map((r) => Date.parse(r.ts)),
      [from, from + HOUR],
    );
    const since = ok(await au<PullPage>('GET', `/v3/audit-logs?filter[ts][gte]=${rfc3339(from + 8 * HOUR)}&filter[ts][lte]=${rfc3339(from + 9 * HOUR)}`));
    assert.equal(since.data.length, 2);
    const empty = ok(await au<PullPage>('GET', query(from + 9 * HOUR + 1000, from + 9 * HOUR + 2000)));
    assert.deepEqual(empty, { data: [], meta: { page: { next: null, previous: null, size: 20 } } });
  });

  test('an unknown filter[type] is 400 with the enum choices', async () => {
    assertProblem(
      await api('GET', '/v3/audit-logs?filter[type]=access'),
      badRequest('Invalid filter', {
        field: 'filter[type]',
        rule: 'enum',
        choices: ['authorization', 'authentication', 'gateway_access'],
        reason: 'must be one of: authorization, authentication, gateway_access',
        source: 'query',
      }),
    );
  });

  test('a timestamp that is not RFC 3339 is 400', async () => {
    for (const [field, value] of [
      ['gte', 'yesterday'],
      ['lte', '2025-01-01'],
      ['gte', '1750280466889'],
    ] as const) {
      assertProblem(
        await api('GET', `/v3/audit-logs?filter[ts][${field}]=${value}`),
        badRequest('Invalid filter', { field: `filter[ts][${field}]`, rule: 'is_date_time', reason: 'must be an RFC 3339 date-time', source: 'query' }),
      );
    }
  });

  test('page[size]=1001 and page[size]=0 are 400; 1000 is allowed', async () => {
    assertProblem(await api('GET', '/v3/audit-logs?page[size]=1001'), badRequest('Invalid page size', { field: 'page[size]', rule: 'max', maximum: 1000, reason: 'must be at most 1000', source: 'query' }));
    assertProblem(await api('GET', '/v3/audit-logs?page[size]=0'), badRequest('Invalid page size', { field: 'page[size]', rule: 'min', minimum: 1, reason: 'must be at least 1', source: 'query' }));
    assert.equal(ok(await api<PullPage>('GET', '/v3/audit-logs?page[size]=1000')).meta.page.size, 1000);
  });

  test('events older than 7 days are pruned and never returned', async () => {
    const now = Date.now();
    assert.equal(await emulator().generate({ count: 20, region: 'me', fromMs: now - 9 * DAY, toMs: now - 8 * DAY }), 20);
    assert.equal(storedEvents(emulator(), 'me'), 0);
    const me = apiFor(emulator, '/me');
    const old = ok(await me<PullPage>('GET', `/v3/audit-logs?filter[ts][gte]=${rfc3339(nowSeconds() - 10 * DAY)}&filter[ts][lte]=${rfc3339(nowSeconds() - 7 * DAY - HOUR)}`));
    assert.deepEqual(old, { data: [], meta: { page: { next: null, previous: null, size: 20 } } });
  });

  test('the pull API is regional: the global host does not serve it', async () => {
    assertProblem(await apiFor(emulator, '/global')('GET', '/v3/audit-logs'), NOT_FOUND);
  });
});

// ---------------------------------------------------------------------------------------------
// Dev Portal webhooks, status and replay (reference §4)
// ---------------------------------------------------------------------------------------------

describe('Dev Portal audit-log webhook', () => {
  const emulator = useEmulator({ timeScale: 0.01 });
  const api = apiFor(emulator);
  let receiver: TestReceiver;
  let portalId = '';
  before(async () => {
    receiver = await startReceiver();
    const portal = emulator().inspect().portals[0];
    assert.ok(portal);
    portalId = portal.id;
  });
  after(async () => {
    await receiver.close();
  });

  test('the default portal starts unconfigured: webhook, status and replay job', async () => {
    for (const version of ['v2', 'v3']) {
      const base = `/${version}/portals/${portalId}`;
      const webhook = await api('GET', `${base}/audit-log-webhook`);
      ok(webhook);
      assert.equal(webhook.text, UNCONFIGURED_V3);
      assert.equal((await api('GET', `${base}/audit-log-webhook/status`)).text, UNCONFIGURED_STATUS);
      assert.equal((await api('GET', `${base}/audit-log-replay-job`)).text, INITIAL_REPLAY);
    }
  });

  test('PATCH errors: bad destination id 400, unknown destination 404, enabling without one 400', async () => {
    const path = `/v3/portals/${portalId}/audit-log-webhook`;
    assertProblem(
      await api('PATCH', path, { body: { audit_log_destination_id: 'nope' } }),
      badRequest('Could not parse destination id', { field: 'audit_log_destination_id', reason: 'destination id format is invalid' }),
    );
    assertProblem(await api('PATCH', path, { body: { audit_log_destination_id: '9cb77dc2-ff99-4d47-84ab-7c5c1b3ef939' } }), {
      status: 404,
      title: 'Not Found',
      detail: 'Audit log destination not found',
    });
    assertProblem(await api('PATCH', path, { body: { enabled: true } }), badRequest('Required field missing', { field: 'audit_log_destination_id', reason: 'cannot be blank' }));
    assert.equal((await api('GET', path)).text, UNCONFIGURED_V3);
  });

  test('binding a destination, status, replay of the portal events, then DELETE', async () => {
    const now = nowSeconds();
    // Portal events recorded while the webhook is unconfigured are only retained (not delivered).
    await emulator().generate({ count: 5, portalId, fromMs: now - 20 * MINUTE, toMs: now - 10 * MINUTE });
    const destination = await createDestination(api, { name: 'portal siem', endpoint: receiver.url, log_format: 'json' });
    const base = `/v2/portals/${portalId}`;
    const bound = ok(await api<WebhookV3>('PATCH', `${base}/audit-log-webhook`, { body: { audit_log_destination_id: destination.id, enabled: true } }));
    assert.deepEqual(bound, { audit_log_destination_id: destination.id, enabled: true });
    assert.deepEqual(ok(await api<WebhookV3>('GET', `/v3/portals/${portalId}/audit-log-webhook`)), bound);
    const status = ok(await api<WebhookStatus>('GET', `${base}/audit-log-webhook/status`));
    assert.deepEqual(status, { webhook_status: 'active', webhook_enabled: true });
    // The org webhook of region us is untouched.
    assert.equal((await api('GET', '/v3/audit-log-webhook')).text, UNCONFIGURED_V3);
    assertProblem(await api('DELETE', `/v3/audit-log-destinations/${destination.id}`), { status: 409, title: 'Conflict', detail: 'Destination is in use' });

    const start = rfc3339(now - HOUR);
    const end = rfc3339(now);
    const accepted = ok(await api<ReplayJob>('PUT', `${base}/audit-log-replay-job`, { body: { start_at: start, end_at: end } }), 202);
    assert.equal(accepted.status, 'accepted');
    await replayReaches(api, `/v3/portals/${portalId}/audit-log-replay-job`, 'completed');
    const lines = receiver.lines().map((l) => JSON.parse(l) as { event_product: string; portal_id: string });
    assert.equal(lines.length, 5);
    for (const line of lines) {
      assert.equal(line.event_product, 'Dev-Portal');
      assert.equal(line.portal_id, portalId);
    }

    const del = await api('DELETE', `${base}/audit-log-webhook`);
    assert.equal(del.status, 204);
    assert.equal((await api('GET', `${base}/audit-log-webhook`)).text, UNCONFIGURED_V3);
    assert.equal((await api('GET', `${base}/audit-log-webhook/status`)).text, UNCONFIGURED_STATUS);
    assert.equal((await api('DELETE', `/v3/audit-log-destinations/${destination.id}`)).status, 204);
  });

  test('an unknown portal is 404 on every portal operation', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    const expected: ExpectedProblem = { status: 404, title: 'Not Found', detail: 'Portal not found' };
    const base = `/v3/portals/${unknown}`;
    assertProblem(await api('GET', `${base}/audit-log-webhook`), expected);
    assertProblem(await api('PATCH', `${base}/audit-log-webhook`, { body: { enabled: false } }), expected);
    assertProblem(await api('DELETE', `${base}/audit-log-webhook`), expected);
    assertProblem(await api('GET', `${base}/audit-log-webhook/status`), expected);
    assertProblem(await api('GET', `${base}/audit-log-replay-job`), expected);
    const now = nowSeconds();
    assertProblem(await api('PUT', `/v2/portals/${unknown}/audit-log-replay-job`, { body: { start_at: rfc3339(now - HOUR), end_at: rfc3339(now) } }), expected);
  });

  test('a portal in region eu is 404 through the us base URL and found through /eu', async () => {
    const euPortal = emulator().addPortal({ region: 'eu', name: 'eu portal' });
    const path = `/v3/portals/${euPortal}/audit-log-webhook`;
    assertProblem(await api('GET', path), { status: 404, title: 'Not Found', detail: 'Portal not found' });
    assertProblem(await apiFor(emulator, '/us')('GET', path), { status: 404, title: 'Not Found', detail: 'Portal not found' });
    const eu = apiFor(emulator, '/eu');
    const res = await eu('GET', path);
    ok(res);
    assert.equal(res.text, UNCONFIGURED_V3);
    assert.equal((await eu('GET', `/v2/portals/${euPortal}/audit-log-webhook/status`)).text, UNCONFIGURED_STATUS);
  });
});

// ---------------------------------------------------------------------------------------------
// Control planes (so the tutorial's validation step works)
// ---------------------------------------------------------------------------------------------

describe('control planes', () => {
  const emulator = useEmulator();
  const api = apiFor(emulator);
  let created: ControlPlane | undefined;

  test('the list starts empty with meta.page number, size and total', async () => {
    assert.deepEqual(ok(await api('GET', '/v2/control-planes')), { meta: { page: { number: 1, size: 10, total: 0 } }, data: [] });
  });

  test('create is 201 with the control plane', async () => {
    const cp = ok(await api<ControlPlane>('POST', '/v2/control-planes', { body: { name: 'cp-1', description: 'first', labels: { env: 'test' } } }), 201);
    assert.match(cp.id, UUID);
    const prefix = cp.id.slice(0, 10);
    assert.deepEqual(
      { ...cp, created_at: 'x', updated_at: 'x' },
      {
        id: cp.id,
        name: 'cp-1',
        description: 'first',
        labels: { env: 'test' },
        config: {
          control_plane_endpoint: `https://${prefix}.us.cp0.konghq.com`,
          telemetry_endpoint: `https://${prefix}.us.tp0.konghq.com`,
          cluster_type: 'CLUSTER_TYPE_CONTROL_PLANE',
          auth_type: 'pinned_client_certs',
          cloud_gateway: false,
          proxy_urls: [],
        },
        created_at: 'x',
        updated_at: 'x',
      },
    );
    created = cp;
  });

  test('a duplicate name is 409', async () => {
    const orgId = emulator().inspect().org_id;
    assertProblem(await api('POST', '/v2/control-planes', { body: { name: 'cp-1' } }), { status: 409, title: 'Conflict', detail: `Key (org_id, name)=(${orgId}, cp-1) already exists.` });
  });

  test('a missing or blank name is 400', async () => {
    const expected = badRequest('Required field missing', { field: 'name', rule: 'required', reason: 'is a required field', source: 'body' });
    assertProblem(await api('POST', '/v2/control-planes', { body: { description: 'no name' } }), expected);
    assertProblem(await api('POST', '/v2/control-planes', { body: { name: '' } }), badRequest('Required field missing', { field: 'name', reason: 'cannot be blank' }));
  });

  test('get is 200, the list counts it, and pages by page[number]', async () => {
    assert.ok(created);
    assert.deepEqual(ok(await api<ControlPlane>('GET', `/v2/control-planes/${created.id}`)), created);
    ok(await api('POST', '/v2/control-planes', { body: { name: 'cp-2' } }), 201);
    assert.deepEqual(ok(await api<{ meta: unknown; data: ControlPlane[] }>('GET', '/v2/control-planes')).meta, { page: { number: 1, size: 10, total: 2 } });
    const second = ok(await api<{ meta: unknown; data: ControlPlane[] }>('GET', '/v2/control-planes?page[size]=1&page[number]=2'));
    assert.deepEqual(second.meta, { page: { number: 2, size: 1, total: 2 } });
    assert.deepEqual(
      second.data.map((cp) => cp.name),
      ['cp-2'],
    );
  });

  test('an unknown id is 404', async () => {
    assertProblem(await api('GET', '/v2/control-planes/00000000-0000-4000-8000-000000000000'), NOT_FOUND);
    assertProblem(await api('DELETE', '/v2/control-planes/00000000-0000-4000-8000-000000000000'), NOT_FOUND);
  });

  test('delete is 204 and the control plane is gone', async () => {
    assert.ok(created);
    const res = await api('DELETE', `/v2/control-planes/${created.id}`);
    assert.equal(res.status, 204);
    assert.equal(res.text, '');
    assertProblem(await api('GET', `/v2/control-planes/${created.id}`), NOT_FOUND);
  });
});

// ---------------------------------------------------------------------------------------------
// Emulator-only endpoints (README "Emulator-only endpoints")
// ---------------------------------------------------------------------------------------------

describe('emulator-only endpoints', () => {
  const emulator = useEmulator();
  const api = apiFor(emulator);
  const admin = <T = unknown>(method: string, path: string, options: CallOptions = {}) => call<T>(emulator().baseUrl, method, path, options);

  test('GET /_emulator/state answers the snapshot without a token', async () => {
    const state = ok(await admin<Record<string, unknown>>('GET', '/_emulator/state'));
    assert.deepEqual(state, JSON.parse(JSON.stringify(emulator().inspect())) as unknown);
    assert.deepEqual(Object.keys(state.regions as Record<string, unknown>).sort(), ['au', 'eu', 'in', 'me', 'sg', 'us']);
  });

  test('POST /_emulator/generate records events; a bad body is 400', async () => {
    const before = storedEvents(emulator(), 'eu');
    assert.deepEqual(ok(await admin('POST', '/_emulator/generate', { body: { count: 7, region: 'eu' } })), { generated: 7 });
    assert.equal(storedEvents(emulator(), 'eu'), before + 7);

    assertProblem(await admin('POST', '/_emulator/generate', { body: {} }), badRequest('Required field missing', { field: 'count', rule: 'required', reason: 'is a required field', source: 'body' }));
    assertProblem(await admin('POST', '/_emulator/generate', { body: { count: 0 } }), badRequest('Invalid request body', { field: 'count', reason: 'must be an integer >= 1', source: 'body' }));
    assertProblem(
      await admin('POST', '/_emulator/generate', { body: { count: 1, region: 'mars' } }),
      badRequest('Invalid request body', { field: 'region', reason: 'must be one of: us, eu, au, me, in, sg', source: 'body' }),
    );
    assertProblem(
      await admin('POST', '/_emulator/generate', { rawBody: 'count=1', headers: { 'Content-Type': 'text/plain' } }),
      badRequest('Could not parse request body', { field: 'body', reason: 'request format is invalid' }),
    );
  });

  test('a status fault answers the next N calls with that status and Retry-After, then normal', async () => {
    const armed = ok(await admin<{ id: number }>('POST', '/_emulator/faults', { body: { path: '/v2/audit-log-webhook', method: 'GET', status: 503, retry_after: '7', times: 2 } }), 201);
    assert.equal(typeof armed.id, 'number');
    for (let i = 0; i < 2; i++) {
      const res = await api('GET', '/v2/audit-log-webhook');
      assertProblem(res, { status: 503, title: 'Service Unavailable', detail: 'Injected fault' });
      assert.equal(res.headers.get('retry-after'), '7');
    }
    const normal = await api('GET', '/v2/audit-log-webhook');
    ok(normal);
    assert.equal(normal.text, UNCONFIGURED_V2);
  });

  test('a fault matches only its method and path', async () => {
    ok(await admin('POST', '/_emulator/faults', { body: { path: '/v2/audit-log-webhook', method: 'PATCH', status: 429 } }), 201);
    ok(await api('GET', '/v2/audit-log-webhook'));
    ok(await api('GET', '/v2/audit-log-webhook/status'));
    assertProblem(await api('PATCH', '/v2/audit-log-webhook', { body: { enabled: false } }), { status: 429, title: 'Too Many Requests', detail: 'Injected fault' });
    ok(await api('PATCH', '/v2/audit-log-webhook', { body: { enabled: false } }));
  });

  test('a reset fault makes the request fail without an answer, once', async () => {
    ok(await admin('POST', '/_emulator/faults', { body: { path: '/v2/audit-log-webhook/status', reset: true } }), 201);
    await assert.rejects(api('GET', '/v2/audit-log-webhook/status'), TypeError);
    ok(await api('GET', '/v2/audit-log-webhook/status'));
  });

  test('a delay fault delays the real answer', async () => {
    ok(await admin('POST', '/_emulator/faults', { body: { path: '/v2/audit-log-replay-job', delay_ms: 150 } }), 201);
    const started = performance.now();
    const res = await api('GET', '/v2/audit-log-replay-job');
    const elapsed = performance.now() - started;
    ok(res);
    assert.equal(res.text, INITIAL_REPLAY);
    assert.ok(elapsed >= 145, `took ${elapsed} ms`);
  });

  test('a fault without status, reset or delay_ms is 400', async () => {
    assertProblem(
      await admin('POST', '/_emulator/faults', { body: { path: '/v2/audit-log-webhook' } }),
      badRequest('Invalid fault', { field: 'status', reason: 'give status, reset or delay_ms', source: 'body' }),
    );
  });

  test('DELETE /_emulator/faults disarms every fault', async () => {
    ok(await admin('POST', '/_emulator/faults', { body: { path: '/v2/*', status: 500, times: 10 } }), 201);
    assert.equal((await admin<{ data: unknown[] }>('GET', '/_emulator/faults')).body.data.length, 1);
    const res = await admin('DELETE', '/_emulator/faults');
    assert.equal(res.status, 204);
    assert.deepEqual(ok(await admin('GET', '/_emulator/faults')), { data: [] });
    ok(await api('GET', '/v2/audit-log-webhook'));
  });

  test('POST /_emulator/keys/rotate changes the active kid and the JWKS lists both keys', async () => {
    const jwksBefore = ok(await call<{ keys: Jwk[] }>(emulator().baseUrl, 'GET', '/v2/audit-log-webhook/jwks.json'));
    assert.equal(jwksBefore.keys.length, 1);
    const oldKid = jwksBefore.keys[0]?.kid;
    assert.match(oldKid ?? '', /^[0-9a-f]{40}$/);
    const { kid } = ok(await admin<{ kid: string }>('POST', '/_emulator/keys/rotate'));
    assert.match(kid, /^[0-9a-f]{40}$/);
    assert.notEqual(kid, oldKid);
    const jwksAfter = ok(await call<{ keys: Jwk[] }>(emulator().baseUrl, 'GET', '/v2/audit-log-webhook/jwks.json'));
    assert.deepEqual(
      jwksAfter.keys.map((k) => k.kid),
      [kid, oldKid],
    );
    for (const k of jwksAfter.keys) assert.deepEqual({ kty: k.kty, alg: k.alg, crv: k.crv }, { kty: 'OKP', alg: 'EdDSA', crv: 'Ed25519' });
    assert.deepEqual(emulator().inspect().jwks_kids, [kid, oldKid]);
  });

  test('POST /_emulator/portals adds a Dev Portal; a duplicate id is 409', async () => {
    const id = '11111111-2222-4333-8444-555555555555';
    assert.deepEqual(ok(await admin('POST', '/_emulator/portals', { body: { id, name: 'partners', region: 'au' } }), 201), { id, name: 'partners', region: 'au' });
    const res = await apiFor(emulator, '/au')('GET', `/v3/portals/${id}/audit-log-webhook`);
    ok(res);
    assert.equal(res.text, UNCONFIGURED_V3);
    assertProblem(await admin('POST', '/_emulator/portals', { body: { id } }), { status: 409, title: 'Conflict', detail: `portal ${id} already exists` });
  });

  test('POST /_emulator/flush is 204 and GET /_emulator/idle answers idle', async () => {
    assert.equal((await admin('POST', '/_emulator/flush')).status, 204);
    assert.deepEqual(ok(await admin('GET', '/_emulator/idle?timeout_ms=2000')), { idle: true });
  });

  test('an unknown emulator endpoint is 404', async () => {
    assert.equal((await admin('GET', '/_emulator/nothing')).status, 404);
  });

  test('emulator-only calls record no audit events', async () => {
    const before = storedEvents(emulator(), 'us');
    ok(await admin('GET', '/_emulator/state'));
    assert.equal(storedEvents(emulator(), 'us'), before);
  });
});

// ---------------------------------------------------------------------------------------------
// Audit events recorded for API calls (reference §6.1, README "API")
// ---------------------------------------------------------------------------------------------

describe('audit events recorded for API calls', () => {
  const READ_ONLY = 'kpat_readonlyAUDITtoken0123456789abcdefghijklmnopq';
  const emulator = useEmulator({ readOnlyTokens: [READ_ONLY] });
  const api = apiFor(emulator);

  async function pull(type: string): Promise<PullRecord[]> {
    return ok(await api<PullPage>('GET', `/v3/audit-logs?filter[type]=${type}&page[size]=1000`)).data;
  }

  test('GET /v2/control-planes records an authentication and an Authz.control-planes list event, granted', async () => {
    ok(await api('GET', '/v2/control-planes'));
    const orgId = emulator().inspect().org_id;
    const authz = (await pull('authorization')).filter((r) => typeof r.resource === 'string' && r.resource.endsWith(':control-planes'));
    assert.equal(authz.length, 1);
    const record = authz[0]!;
    assert.equal(record.resource, `krn:konnect:org/${orgId}:control-planes`);
    assert.equal(record.action, 'list');
    assert.equal(record.granted, true);
    assert.equal(record.service, 'konnect');
    assert.match(String(record.principal_id), UUID);
    const authn = (await pull('authentication')).filter((r) => r.trace_id === record.trace_id);
    assert.equal(authn.length, 1);
    assert.equal(authn[0]?.successful, true);
    assert.equal(authn[0]?.outcome, 'success');
    assert.equal(authn[0]?.authentication_type, 'pat');
    assert.equal(authn[0]?.principal_id, record.principal_id);
    // A read is not an access (Ingress) event.
    assert.equal((await pull('gateway_access')).filter((r) => r.trace_id === record.trace_id).length, 0);
  });

  test("a read-only token's PATCH records granted=false and a 403 access event with the problem's trace id", async () => {
    const res = await call(emulator().baseUrl, 'PATCH', '/v2/audit-log-webhook', { token: READ_ONLY, body: { enabled: false } });
    const problem = assertProblem(res, { status: 403, title: 'Forbidden', detail: 'You do not have permission to perform this action' });
    const traceId = traceIdOf(problem);
    const authz = (await pull('authorization')).filter((r) => r.trace_id === traceId);
    assert.equal(authz.length, 1);
    assert.equal(authz[0]?.granted, false);
    assert.equal(authz[0]?.action, 'edit');
    assert.ok(String(authz[0]?.resource).endsWith(':audit-log-webhook'));
    const access = (await pull('gateway_access')).filter((r) => r.trace_id === traceId);
    assert.equal(access.length, 1);
    assert.equal(access[0]?.method, 'PATCH');
    assert.equal(access[0]?.uri, '/v2/audit-log-webhook');
    assert.equal(access[0]?.status_code, 403);
  });

  test('a missing token records a failed authentication and no authorization', async () => {
    const problem = assertProblem(await call(emulator().baseUrl, 'GET', '/v2/control-planes'), UNAUTHORIZED);
    const traceId = traceIdOf(problem);
    const authn = (await pull('authentication')).filter((r) => r.trace_id === traceId);
    const [failed] = authn;
    assert.equal(authn.length, 1);
    assert.ok(failed);
    assert.equal(failed.successful, false);
    assert.equal(failed.outcome, 'invalid');
    assert.ok(!('principal_id' in failed));
    assert.equal((await pull('authorization')).filter((r) => r.trace_id === traceId).length, 0);
  });

  test('events land in the region the call addressed', async () => {
    const before = storedEvents(emulator(), 'in');
    ok(await apiFor(emulator, '/in')('GET', '/v2/audit-log-webhook'));
    assert.equal(storedEvents(emulator(), 'in'), before + 2);
    const inRecords = ok(await apiFor(emulator, '/in')<PullPage>('GET', '/v3/audit-logs?filter[type]=authorization')).data;
    assert.ok(inRecords.some((r) => String(r.resource).endsWith(':audit-log-webhook') && r.action === 'retrieve'));
  });
});

describe('destination pagination while destinations are deleted', () => {
  const emulator = useEmulator();
  const api = apiFor(emulator);

  test('deleting a listed destination between pages neither repeats nor skips the others', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push((await createDestination(api, { name: `paging-${i}` })).id);
    const first = ok(await api<DestinationPage>('GET', '/v3/audit-log-destinations?page[size]=5'));
    assert.deepEqual(first.data.map((d) => d.id), ids.slice(0, 5));
    assert.equal((await api('DELETE', `/v3/audit-log-destinations/${ids[4]!}`)).status, 204);
    assert.equal((await api('DELETE', `/v3/audit-log-destinations/${ids[1]!}`)).status, 204);
    const second = ok(await api<DestinationPage>('GET', first.meta.next!));
    assert.deepEqual(second.data.map((d) => d.id), ids.slice(5, 10));
    const previous = ok(await api<DestinationPage>('GET', second.meta.previous!));
    assert.deepEqual(previous.data.map((d) => d.id), [ids[0], ids[2], ids[3]]);
  });
});

describe('request limits', () => {
  const emulator = useEmulator();
  const api = apiFor(emulator);

  test('an API body over 1 MiB is 413 and changes nothing', async () => {
    const huge = JSON.stringify({ endpoint: `https://siem.example.com/${'a'.repeat(1024 * 1024)}`, enabled: true });
    const r = await api<{ status: number; title: string }>('PATCH', '/v2/audit-log-webhook', { rawBody: huge, headers: { 'Content-Type': 'application/json' } });
    assert.equal(r.status, 413);
    assert.equal(r.headers.get('content-type'), 'application/problem+json');
    assert.equal(r.body.title, 'Payload Too Large');
    assert.equal(ok(await api<{ endpoint: string }>('GET', '/v2/audit-log-webhook')).endpoint, 'unconfigured');
  });
});
