import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { KonnectApiError } from '../konnect/client.js';
import type { AuditLogDestination, AuditLogWebhookStatus, AuditLogWebhookV2, AuditLogWebhookV3 } from '../konnect/types.js';
import { replayTarget, ReplayTargetError, statusWarning, type TargetClient } from './target.js';

const PORTAL = '9cb77dc2-ff99-4d47-84ab-7c5c1b3ef939';
const ACTIVE: AuditLogWebhookStatus = { webhook_status: 'active', webhook_enabled: true };

function client(parts: { webhook?: Partial<AuditLogWebhookV2>; portal?: AuditLogWebhookV3 | 404; destination?: Partial<AuditLogDestination> }): TargetClient {
  const webhook: AuditLogWebhookV2 = { endpoint: 'https://siem.example/in', enabled: true, log_format: 'json', skip_ssl_verification: false, updated_at: '2026-11-27T00:00:00Z', ...parts.webhook };
  return {
    getWebhook: () => Promise.resolve(webhook),
    getWebhookStatus: () => Promise.resolve(ACTIVE),
    getPortalWebhook: () =>
      parts.portal === 404 || parts.portal === undefined
        ? Promise.reject(new KonnectApiError('GET', `https://us.api.konghq.com/v3/portals/${PORTAL}/audit-log-webhook`, 404, undefined, '{"detail":"Portal not found"}'))
        : Promise.resolve(parts.portal),
    getPortalWebhookStatus: () => Promise.resolve(ACTIVE),
    getDestination: (id: string) => Promise.resolve({ id, name: 'd', endpoint: 'https://me.example/audit-logs', log_format: 'json', skip_ssl_verification: false, created_at: '', updated_at: '', ...parts.destination }),
  };
}

describe('replayTarget: region', () => {
  test('an enabled webhook: its endpoint and status', async () => {
    assert.deepEqual(await replayTarget(client({}), {}), { endpoint: 'https://siem.example/in', status: ACTIVE });
  });

  test('a webhook bound to a destination also gives its id', async () => {
    assert.equal((await replayTarget(client({ webhook: { audit_log_destination_id: 'd-1' } }), {})).destinationId, 'd-1');
  });

  test('an unconfigured webhook is refused, saying to start a listener or set the webhook', async () => {
    await assert.rejects(replayTarget(client({ webhook: { endpoint: 'unconfigured', enabled: false } }), {}), (error: Error) => {
      assert.ok(error instanceof ReplayTargetError);
      assert.match(error.message, /not configured/);
      assert.match(error.message, /konnect-audit listen/);
      assert.match(error.message, /konnect-audit webhook set/);
      return true;
    });
  });

  test('a disabled webhook is refused, naming its endpoint', async () => {
    await assert.rejects(replayTarget(client({ webhook: { enabled: false } }), {}), /webhook \(https:\/\/siem\.example\/in\) is disabled.*webhook set --enabled/);
  });
});

describe('replayTarget: Dev Portal', () => {
  test("an enabled portal webhook: its destination's endpoint", async () => {
    const target = await replayTarget(client({ portal: { audit_log_destination_id: 'd-9', enabled: true } }), { portalId: PORTAL });
    assert.deepEqual(target, { destinationId: 'd-9', endpoint: 'https://me.example/audit-logs', status: ACTIVE });
  });

  test('an unknown portal (404) is refused clearly', async () => {
    await assert.rejects(replayTarget(client({ portal: 404 }), { portalId: PORTAL }), new RegExp(`no Dev Portal ${PORTAL} in this region`));
  });

  test('a portal webhook without a destination, or disabled, is refused', async () => {
    await assert.rejects(replayTarget(client({ portal: { audit_log_destination_id: '', enabled: false } }), { portalId: PORTAL }), /not bound to a destination/);
    await assert.rejects(replayTarget(client({ portal: { audit_log_destination_id: 'd-9', enabled: false } }), { portalId: PORTAL }), /destination d-9\) is disabled/);
  });
});

describe('statusWarning', () => {
  test('warns about an inactive webhook with its last response', () => {
    assert.match(statusWarning({ webhook_status: 'inactive', webhook_enabled: true, last_response_code: 401, last_response_message: 'Unauthorized' })!, /last delivery failed \(401 Unauthorized\)/);
  });

  test('nothing for an active one or none', () => {
    assert.equal(statusWarning(ACTIVE), undefined);
    assert.equal(statusWarning(undefined), undefined);
  });
});
