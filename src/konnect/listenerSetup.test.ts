/**
 * The listener's Konnect state against the real emulator on 127.0.0.1: the start-up guard, the
 * name check, an idempotent create, the binding and kongctl-order clean-up, with injected faults
 * and a sleep that records waits instead of waiting.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { startEmulator, type Emulator } from '../emulator/index.js';
import { KonnectClient, type KonnectClientOptions, type RequestOptions } from './client.js';
import {
  DestinationNameTakenError,
  WebhookAlreadyConfiguredError,
  assertNameFree,
  assertRegionUnconfigured,
  bindWebhook,
  createDestination,
  leftoverCommands,
  releaseListener,
  type DestinationPlan,
} from './listenerSetup.js';
import type { AuditLogDestination, AuditLogWebhookV2, AuditLogWebhookV3 } from './types.js';

// Nothing listens on port 9 (discard): the emulator's deliveries fail fast and stay out of the way.
const ENDPOINT = 'http://127.0.0.1:9/audit-logs';
const PLAN: DestinationPlan = { name: 'konnect-audit-test-1', endpoint: ENDPOINT, logFormat: 'json', skipSslVerification: false, authorization: 'Bearer listener-secret' };
const DESTINATIONS = '/v3/audit-log-destinations';

/** A client that records each request as `METHOD /path`. */
class RecordingClient extends KonnectClient {
  readonly calls: string[] = [];
  override request<T>(method: string, path: string, init?: RequestOptions): Promise<T> {
    this.calls.push(`${method} ${path.split('?')[0]}`);
    return super.request<T>(method, path, init);
  }
}

let emulator: Emulator;
let waits: number[];

function client(options: Partial<KonnectClientOptions> = {}): RecordingClient {
  return new RecordingClient({
    baseUrl: emulator.baseUrl,
    token: emulator.token,
    sleep: (ms) => {
      waits.push(ms);
      return Promise.resolve();
    },
    ...options,
  });
}

function recordWait(ms: number): Promise<void> {
  waits.push(ms);
  return Promise.resolve();
}

async function named(name: string): Promise<AuditLogDestination[]> {
  return (await client().listDestinations({ name })).filter((d) => d.name === name);
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => assert.fail('expected a rejection'),
    (error: unknown) => error,
  );
}

/** A destination bound to the `us` region's webhook, as a listener leaves it after start-up. */
async function boundDestination(konnect: KonnectClient = client()): Promise<AuditLogDestination> {
  const destination = await createDestination(konnect, PLAN);
  await bindWebhook(konnect, destination.id);
  return destination;
}

/** A client for the `eu` region, to hold a destination "in use" elsewhere. */
function euClient(): KonnectClient {
  return new KonnectClient({ baseUrl: emulator.regionUrl('eu'), token: emulator.token });
}

beforeEach(async () => {
  waits = [];
  emulator = await startEmulator({ port: 0, timeScale: 0.01, generatorThreads: 0 });
});
afterEach(() => emulator.stop());

describe('assertRegionUnconfigured', () => {
  test('passes on a region nobody configured', async () => {
    await assertRegionUnconfigured(client());
  });

  test('fails with kongctl\'s message when an inline webhook is enabled', async () => {
    await client().updateWebhook({ endpoint: 'https://siem.example/konnect', authorization: 'Splunk t', enabled: true });
    const error = await rejection(assertRegionUnconfigured(client()));
    assert.ok(error instanceof WebhookAlreadyConfiguredError);
    assert.equal(
      error.message,
      'regional audit-log webhook is already configured (enabled=true endpoint="https://siem.example/konnect"); expected enabled=false and endpoint="unconfigured"',
    );
    assert.deepEqual([error.enabled, error.endpoint, error.destinationId], [true, 'https://siem.example/konnect', undefined]);
  });

  test('fails for a configured but disabled webhook too', async () => {
    await client().updateWebhook({ endpoint: 'https://siem.example/konnect', authorization: 'Splunk t', enabled: false });
    await assert.rejects(assertRegionUnconfigured(client()), {
      name: 'WebhookAlreadyConfiguredError',
      message: 'regional audit-log webhook is already configured (enabled=false endpoint="https://siem.example/konnect"); expected enabled=false and endpoint="unconfigured"',
    });
  });

  test('names the destination a bound webhook uses', async () => {
    const destination = await boundDestination();
    const error = await rejection(assertRegionUnconfigured(client()));
    assert.ok(error instanceof WebhookAlreadyConfiguredError);
    assert.deepEqual([error.enabled, error.endpoint, error.destinationId], [true, ENDPOINT, destination.id]);
  });

  test('only looks at its own region', async () => {
    await euClient().updateWebhook({ endpoint: 'https://siem.example/eu', authorization: 'Splunk t', enabled: true });
    await assertRegionUnconfigured(client());
  });
});

describe('assertNameFree', () => {
  test('passes when only other names exist, even ones containing it', async () => {
    await createDestination(client(), { ...PLAN, name: `${PLAN.name}-other` });
    await assertNameFree(client(), PLAN.name);
  });

  test('throws DestinationNameTakenError when the name is used', async () => {
    await createDestination(client(), PLAN);
    const error = await rejection(assertNameFree(client(), PLAN.name));
    assert.ok(error instanceof DestinationNameTakenError);
    assert.equal(error.message, 'destination name "konnect-audit-test-1" already exists');
  });
});

describe('createDestination', () => {
  test('creates the planned destination on the global host', async () => {
    const konnect = new RecordingClient({ baseUrl: emulator.regionUrl('eu'), globalBaseUrl: emulator.regionUrl('global'), token: emulator.token });
    const created = await createDestination(konnect, { ...PLAN, logFormat: 'cef', skipSslVerification: true });
    assert.deepEqual(
      { name: created.name, endpoint: created.endpoint, log_format: created.log_format, skip_ssl_verification: created.skip_ssl_verification },
      { name: PLAN.name, endpoint: ENDPOINT, log_format: 'cef', skip_ssl_verification: true },
    );
    assert.deepEqual(konnect.calls, [`POST ${DESTINATIONS}`]);
    assert.deepEqual((await named(PLAN.name)).map((d) => d.id), [created.id]);
  });

  test('after a 500 that created nothing, looks, then retries the POST once', async () => {
    const fault = emulator.fault({ method: 'POST', path: DESTINATIONS, status: 500 });
    const konnect = client();
    const created = await createDestination(konnect, PLAN);
    assert.equal(fault.hits, 1);
    assert.deepEqual(waits, [250]);
    assert.deepEqual(konnect.calls, [`POST ${DESTINATIONS}`, `GET ${DESTINATIONS}`, `POST ${DESTINATIONS}`]);
    assert.deepEqual((await named(PLAN.name)).map((d) => d.id), [created.id]);
  });

  test('after a 500 whose POST did create it, adopts that destination instead of creating a second', async () => {
    emulator.fault({ method: 'POST', path: DESTINATIONS, status: 500 });
    let createdMeanwhile: AuditLogDestination | undefined;
    // The injected sleep stands in for the lost answer: the destination appears during the back-off.
    const konnect = client({
      sleep: async () => {
        createdMeanwhile = await new KonnectClient({ baseUrl: emulator.baseUrl, token: emulator.token }).createDestination({
          name: PLAN.name,
          endpoint: PLAN.endpoint,
          authorization: PLAN.authorization,
          log_format: PLAN.logFormat,
        });
      },
    });
    const adopted = await createDestination(konnect, PLAN);
    assert.equal(adopted.id, createdMeanwhile?.id);
    assert.deepEqual(konnect.calls, [`POST ${DESTINATIONS}`, `GET ${DESTINATIONS}`]);
    assert.deepEqual((await named(PLAN.name)).map((d) => d.id), [adopted.id]);
  });

  test('does not adopt a destination with the same name but another endpoint', async () => {
    emulator.fault({ method: 'POST', path: DESTINATIONS, status: 503 });
    const other = await createDestination(client(), { ...PLAN, endpoint: 'http://127.0.0.1:9/elsewhere' });
    const created = await createDestination(client(), PLAN);
    assert.notEqual(created.id, other.id);
    assert.equal(created.endpoint, ENDPOINT);
  });

  test('a reset connection on the POST is handled like a 5xx', async () => {
    const fault = emulator.fault({ method: 'POST', path: DESTINATIONS, reset: true });
    const created = await createDestination(client(), PLAN);
    assert.equal(fault.hits, 1);
    assert.deepEqual((await named(PLAN.name)).map((d) => d.id), [created.id]);
  });

  test('gives up with the last error after the client\'s retries, having created nothing', async () => {
    const fault = emulator.fault({ method: 'POST', path: DESTINATIONS, status: 503, times: 10 });
    await assert.rejects(createDestination(client({ retries: 2 }), PLAN), { name: 'KonnectApiError', status: 503 });
    assert.equal(fault.hits, 3);
    assert.deepEqual(waits, [250, 500, 1000]);
    assert.deepEqual(await named(PLAN.name), []);
  });

  test('a 400 is not retried and keeps Konnect\'s invalid_parameters', async () => {
    const konnect = client();
    const error = await rejection(createDestination(konnect, { ...PLAN, endpoint: 'not a url' }));
    assert.ok(error instanceof Error && 'problem' in error);
    assert.deepEqual((error as { problem: { invalid_parameters: unknown } }).problem.invalid_parameters, [{ field: 'endpoint', reason: 'must be a valid URL' }]);
    assert.deepEqual(konnect.calls, [`POST ${DESTINATIONS}`]);
    assert.deepEqual(waits, []);
  });
});

describe('bindWebhook', () => {
  test('binds and enables the region\'s webhook', async () => {
    const destination = await createDestination(client(), PLAN);
    assert.deepEqual(await bindWebhook(client(), destination.id), { audit_log_destination_id: destination.id, enabled: true });
    const v2 = await client().getWebhook();
    assert.deepEqual([v2.enabled, v2.endpoint, v2.audit_log_destination_id], [true, ENDPOINT, destination.id]);
  });
});

describe('releaseListener', () => {
  test('releases in kongctl\'s order and leaves the region unconfigured and the destination gone', async () => {
    const destination = await boundDestination();
    const konnect = client();
    const report = await releaseListener(konnect, { destinationId: destination.id, configureWebhook: true, sleep: recordWait });
    assert.deepEqual(report, { webhookReleased: true, destinationDeleted: true, problems: [] });
    assert.deepEqual(konnect.calls, [
      'GET /v3/audit-log-webhook',
      'PATCH /v2/audit-log-webhook',
      'DELETE /v3/audit-log-webhook',
      `DELETE /v2/audit-log-destinations/${destination.id}`,
    ]);
    const v2 = await client().request<AuditLogWebhookV2>('GET', '/v2/audit-log-webhook');
    assert.deepEqual([v2.enabled, v2.endpoint], [false, 'unconfigured']);
    await assert.rejects(client().getDestination(destination.id), { name: 'KonnectApiError', status: 404 });
    assert.deepEqual(waits, []);
  });

  test('tolerates a 404 on the disable and a destination that is already gone', async () => {
    const destination = await boundDestination();
    emulator.fault({ method: 'PATCH', path: '/v2/audit-log-webhook', status: 404 });
    emulator.fault({ method: 'DELETE', path: `/v2/audit-log-destinations/${destination.id}`, status: 404 });
    const report = await releaseListener(client(), { destinationId: destination.id, configureWebhook: true, sleep: recordWait });
    assert.deepEqual(report, { webhookReleased: true, destinationDeleted: true, problems: [] });
    assert.equal((await client().getWebhookV3()).audit_log_destination_id, '');
  });

  test('a 404 on reading the webhook means nothing to release', async () => {
    const destination = await createDestination(client(), PLAN);
    emulator.fault({ method: 'GET', path: '/v3/audit-log-webhook', status: 404 });
    const konnect = client();
    const report = await releaseListener(konnect, { destinationId: destination.id, configureWebhook: true, sleep: recordWait });
    assert.deepEqual(report, { webhookReleased: true, destinationDeleted: true, problems: [] });
    assert.deepEqual(konnect.calls, ['GET /v3/audit-log-webhook', `DELETE /v2/audit-log-destinations/${destination.id}`]);
  });

  test('retries "destination is in use" with 250 ms doubling until the destination is free', async () => {
    const destination = await boundDestination();
    // The eu region also uses it: a real 409 "Destination is in use" until the third wait frees it.
    await euClient().updateWebhookV3({ audit_log_destination_id: destination.id, enabled: false });
    const sleep = async (ms: number) => {
      waits.push(ms);
      if (waits.length === 3) await euClient().deleteWebhookV3();
    };
    const report = await releaseListener(client(), { destinationId: destination.id, configureWebhook: true, sleep });
    assert.deepEqual(report, { webhookReleased: true, destinationDeleted: true, problems: [] });
    assert.deepEqual(waits, [250, 500, 1000]);
    await assert.rejects(client().getDestination(destination.id), { name: 'KonnectApiError', status: 404 });
  });

  test('waits out a 409 on the webhook DELETE (a replay job is running) and then releases it', async () => {
    const destination = await boundDestination();
    emulator.fault({ method: 'DELETE', path: '/v3/audit-log-webhook', status: 409, times: 2 });
    const report = await releaseListener(client(), { destinationId: destination.id, configureWebhook: true, sleep: recordWait });
    assert.deepEqual(report, { webhookReleased: true, destinationDeleted: true, problems: [] });
    assert.deepEqual(waits, [250, 500]);
    await assert.rejects(client().getDestination(destination.id), { name: 'KonnectApiError', status: 404 });
  });

  test('reports a destination still in use when the budget ends', async () => {
    const destination = await boundDestination();
    await euClient().updateWebhookV3({ audit_log_destination_id: destination.id, enabled: false });
    const report = await releaseListener(client(), { destinationId: destination.id, configureWebhook: true, budgetMs: 2000, sleep: recordWait });
    assert.deepEqual(report, {
      webhookReleased: true,
      destinationDeleted: false,
      problems: [
        `could not delete audit-log destination ${destination.id} (4 attempts within the 2 s clean-up budget): DELETE /v2/audit-log-destinations/${destination.id} failed with 409: Conflict: Destination is in use`,
      ],
    });
    assert.deepEqual(waits, [250, 500, 1000]);
  });

  test('the budget also bounds a request that hangs', async () => {
    const destination = await createDestination(client(), PLAN);
    emulator.fault({ method: 'GET', path: '/v3/audit-log-webhook', delayMs: 1000 });
    emulator.fault({ method: 'DELETE', path: `/v2/audit-log-destinations/${destination.id}`, delayMs: 1000 });
    const started = Date.now();
    const report = await releaseListener(client(), { destinationId: destination.id, configureWebhook: true, budgetMs: 100 });
    assert.ok(Date.now() - started < 900, 'release returned within the budget');
    assert.deepEqual(report, {
      webhookReleased: false,
      destinationDeleted: false,
      problems: [
        `could not read the regional audit-log webhook to release it: GET ${emulator.baseUrl}/v3/audit-log-webhook failed: aborted (the 0.1 s clean-up budget ran out)`,
        `could not delete audit-log destination ${destination.id}: DELETE ${emulator.baseUrl}/v2/audit-log-destinations/${destination.id} failed: aborted (the 0.1 s clean-up budget ran out)`,
      ],
    });
  });

  test('reports persistent faults with Konnect\'s detail and does not wait out the budget on its own webhook', async () => {
    const destination = await boundDestination();
    emulator.fault({ method: 'PATCH', path: '/v2/audit-log-webhook', status: 500, times: 100 });
    emulator.fault({ method: 'DELETE', path: '/v3/audit-log-webhook', status: 503, times: 100 });
    const report = await releaseListener(client({ retries: 1 }), { destinationId: destination.id, configureWebhook: true, sleep: recordWait });
    assert.deepEqual(report, {
      webhookReleased: false,
      destinationDeleted: false,
      problems: [
        'could not disable the regional audit-log webhook: PATCH /v2/audit-log-webhook failed with 500: Internal Server Error: Injected fault',
        `could not unbind the regional audit-log webhook from destination ${destination.id}: DELETE /v3/audit-log-webhook failed with 503: Service Unavailable: Injected fault`,
        `could not delete audit-log destination ${destination.id}: DELETE /v2/audit-log-destinations/${destination.id} failed with 409: Conflict: Destination is in use`,
      ],
    });
    // The client's own retries (one each for PATCH and DELETE), no in-use waits.
    assert.deepEqual(waits, [250, 250]);
  });

  test('never touches a webhook bound to another destination', async () => {
    const ours = await createDestination(client(), PLAN);
    const theirs = await createDestination(client(), { ...PLAN, name: 'someone-else' });
    await bindWebhook(client(), theirs.id);
    const konnect = client();
    const report = await releaseListener(konnect, { destinationId: ours.id, configureWebhook: true, sleep: recordWait });
    assert.deepEqual(report, { webhookReleased: true, destinationDeleted: true, problems: [] });
    assert.deepEqual(konnect.calls, ['GET /v3/audit-log-webhook', `DELETE /v2/audit-log-destinations/${ours.id}`]);
    assert.deepEqual(await client().getWebhookV3(), { audit_log_destination_id: theirs.id, enabled: true } satisfies AuditLogWebhookV3);
  });

  test('without configureWebhook only deletes the destination', async () => {
    const destination = await createDestination(client(), PLAN);
    const konnect = client();
    const report = await releaseListener(konnect, { destinationId: destination.id, configureWebhook: false, sleep: recordWait });
    assert.deepEqual(report, { webhookReleased: true, destinationDeleted: true, problems: [] });
    assert.deepEqual(konnect.calls, [`DELETE /v2/audit-log-destinations/${destination.id}`]);
  });

  test('with duplicatesOf also deletes a destination a timed-out create landed after its retry', async () => {
    // Regression: the first POST timed out but Konnect created it after the retried POST had succeeded.
    const ours = await boundDestination();
    const late = await createDestination(client(), PLAN);
    const unrelated = await createDestination(client(), { ...PLAN, endpoint: 'http://127.0.0.1:9/elsewhere' });
    const konnect = client();
    const report = await releaseListener(konnect, { destinationId: ours.id, configureWebhook: true, sleep: recordWait, duplicatesOf: { name: PLAN.name, endpoint: ENDPOINT } });
    assert.deepEqual(report, { webhookReleased: true, destinationDeleted: true, problems: [], duplicatesDeleted: [late.id] });
    assert.deepEqual(konnect.calls.slice(-2), [`GET ${DESTINATIONS}`, `DELETE /v2/audit-log-destinations/${late.id}`]);
    assert.deepEqual((await named(PLAN.name)).map((d) => d.id), [unrelated.id], 'the same name with another endpoint is not ours');
  });

  test('a duplicate that cannot be deleted is reported with its id and a command', async () => {
    const ours = await createDestination(client(), PLAN);
    const late = await createDestination(client(), PLAN);
    emulator.fault({ method: 'DELETE', path: `/v2/audit-log-destinations/${late.id}`, status: 500, times: 100 });
    const report = await releaseListener(client({ retries: 0 }), { destinationId: ours.id, configureWebhook: false, sleep: recordWait, duplicatesOf: { name: PLAN.name, endpoint: ENDPOINT } });
    assert.deepEqual(report, {
      webhookReleased: true,
      destinationDeleted: true,
      problems: [`could not delete audit-log destination ${late.id}: DELETE /v2/audit-log-destinations/${late.id} failed with 500: Internal Server Error: Injected fault`],
      duplicatesLeft: [late.id],
    });
    assert.deepEqual(leftoverCommands({ baseUrl: 'https://eu.api.konghq.com', globalBaseUrl: 'https://global.api.konghq.com' }, report, { destinationId: ours.id, configureWebhook: false }), [
      `curl -sS -X DELETE -H "Authorization: Bearer $KONNECT_TOKEN" "https://eu.api.konghq.com/v2/audit-log-destinations/${late.id}"`,
    ]);
  });

  test('a failing duplicate check does not fail the clean-up', async () => {
    const ours = await createDestination(client(), PLAN);
    emulator.fault({ method: 'GET', path: DESTINATIONS, status: 500, times: 100 });
    const report = await releaseListener(client({ retries: 0 }), { destinationId: ours.id, configureWebhook: false, sleep: recordWait, duplicatesOf: { name: PLAN.name, endpoint: ENDPOINT } });
    assert.deepEqual(report, { webhookReleased: true, destinationDeleted: true, problems: [] });
  });

  test('never throws, even when Konnect cannot be reached', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const unreachable = new KonnectClient({ baseUrl: `http://127.0.0.1:${port}`, token: 't', retries: 0 });
    const report = await releaseListener(unreachable, { destinationId: 'd-1', configureWebhook: true, sleep: recordWait });
    assert.deepEqual(report, {
      webhookReleased: false,
      destinationDeleted: false,
      problems: [
        `could not read the regional audit-log webhook to release it: GET http://127.0.0.1:${port}/v3/audit-log-webhook failed: connect ECONNREFUSED 127.0.0.1:${port}`,
        `could not delete audit-log destination d-1: DELETE http://127.0.0.1:${port}/v2/audit-log-destinations/d-1 failed: connect ECONNREFUSED 127.0.0.1:${port}`,
      ],
    });
  });
});

describe('leftoverCommands', () => {
  const connection = { baseUrl: 'https://eu.api.konghq.com', globalBaseUrl: 'https://global.api.konghq.com' };
  const target = { destinationId: '6945c4c4-3e06-4c5c-87e0-726d0cda4e05', configureWebhook: true };

  test('nothing left, nothing to run', () => {
    assert.deepEqual(leftoverCommands(connection, { webhookReleased: true, destinationDeleted: true, problems: [] }, target), []);
  });

  test('curl lines for what is left, with the token as "$KONNECT_TOKEN"', () => {
    assert.deepEqual(leftoverCommands(connection, { webhookReleased: false, destinationDeleted: false, problems: ['x'] }, target), [
      'curl -sS -H "Authorization: Bearer $KONNECT_TOKEN" "https://eu.api.konghq.com/v3/audit-log-webhook"   # go on only if it still shows "audit_log_destination_id":"6945c4c4-3e06-4c5c-87e0-726d0cda4e05"',
      'curl -sS -X PATCH -H "Authorization: Bearer $KONNECT_TOKEN" -H "Content-Type: application/json" -d \'{"enabled":false}\' "https://eu.api.konghq.com/v2/audit-log-webhook"',
      'curl -sS -X DELETE -H "Authorization: Bearer $KONNECT_TOKEN" "https://eu.api.konghq.com/v3/audit-log-webhook"',
      'curl -sS -X DELETE -H "Authorization: Bearer $KONNECT_TOKEN" "https://eu.api.konghq.com/v2/audit-log-destinations/6945c4c4-3e06-4c5c-87e0-726d0cda4e05"',
    ]);
  });

  test('only the destination when the webhook was released or never configured', () => {
    const expected = ['curl -sS -X DELETE -H "Authorization: Bearer $KONNECT_TOKEN" "https://eu.api.konghq.com/v2/audit-log-destinations/6945c4c4-3e06-4c5c-87e0-726d0cda4e05"'];
    assert.deepEqual(leftoverCommands(connection, { webhookReleased: true, destinationDeleted: false, problems: ['x'] }, target), expected);
    assert.deepEqual(leftoverCommands(connection, { webhookReleased: false, destinationDeleted: false, problems: ['x'] }, { ...target, configureWebhook: false }), expected);
  });

  test('the commands really remove what a failed release left', async () => {
    const destination = await boundDestination();
    emulator.fault({ method: 'DELETE', path: '/v3/audit-log-webhook', status: 503, times: 100 });
    const report = await releaseListener(client({ retries: 0 }), { destinationId: destination.id, configureWebhook: true, sleep: recordWait });
    assert.deepEqual([report.webhookReleased, report.destinationDeleted], [false, false]);
    emulator.clearFaults();
    const commands = leftoverCommands({ baseUrl: emulator.baseUrl, globalBaseUrl: emulator.baseUrl }, report, { destinationId: destination.id, configureWebhook: true });
    for (const command of commands) {
      await promisify(execFile)('sh', ['-c', command], { env: { PATH: process.env.PATH, KONNECT_TOKEN: emulator.token } });
    }
    const v2 = await client().getWebhook();
    assert.deepEqual([v2.enabled, v2.endpoint], [false, 'unconfigured']);
    await assert.rejects(client().getDestination(destination.id), { name: 'KonnectApiError', status: 404 });
  });
});
