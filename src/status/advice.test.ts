import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { advice, ago, failureReason, replaySince } from './advice.js';
import type { DeliveryStatus, KonnectSnapshot, WebhookConfig } from './konnect.js';

const NOW = Date.parse('2026-11-27T12:00:00Z');
const MIN = 60_000;

const webhook: WebhookConfig = { endpoint: 'https://siem.example.com/in', enabled: true, log_format: 'cef', skip_ssl_verification: false, destination_id: null, updated_at: null };
function snapshot(status: Partial<DeliveryStatus>, extra: Partial<KonnectSnapshot> = {}): KonnectSnapshot {
  return {
    base_url: 'https://us.api.konghq.com',
    webhook,
    status: { webhook_status: 'active', webhook_enabled: true, last_attempt_at: null, last_response_code: null, last_response_message: null, ...status },
    replay_job: { status: 'none', start_at: null, end_at: null, updated_at: null },
    ...extra,
  };
}

describe('replaySince', () => {
  it('adds a minute and rounds up: minutes to 2 h, hours to 2 days, days after, 7d at most', () => {
    assert.equal(replaySince(NOW - 47 * MIN - 30_000, NOW), '49m');
    assert.equal(replaySince(NOW, NOW), '1m');
    assert.equal(replaySince(NOW - 119 * MIN, NOW), '120m');
    assert.equal(replaySince(NOW - 3 * 60 * MIN, NOW), '4h');
    assert.equal(replaySince(NOW - 3 * 24 * 60 * MIN, NOW), '4d');
    assert.equal(replaySince(NOW - 30 * 24 * 60 * MIN, NOW), '7d');
  });
});

describe('ago', () => {
  it('says how long ago in the largest fitting unit', () => {
    assert.equal(ago('2026-11-27T11:59:55Z', NOW), 'just now');
    assert.equal(ago('2026-11-27T11:59:30Z', NOW), '30 s ago');
    assert.equal(ago('2026-11-27T11:57:00Z', NOW), '3 min ago');
    assert.equal(ago('2026-11-27T06:00:00Z', NOW), '6 h ago');
    assert.equal(ago('2026-11-24T12:00:00Z', NOW), '3 days ago');
    assert.equal(ago('2026-11-27T12:02:00Z', NOW), 'in 2 min');
  });
});

describe('failureReason', () => {
  it('explains no answer, refused authorization, wrong path and server errors', () => {
    assert.match(failureReason(null, 'ECONNREFUSED'), /^nothing answered \(ECONNREFUSED\)/);
    assert.match(failureReason(401, 'Unauthorized'), /refused the authorization \(401 Unauthorized\)/);
    assert.match(failureReason(404, 'Not Found'), /nothing at that path/);
    assert.equal(failureReason(503, 'Service Unavailable'), 'the receiver failed (503 Service Unavailable) on every retry');
  });
});

describe('advice', () => {
  it('is empty for an active, enabled webhook', () => {
    assert.deepEqual(advice(snapshot({ last_attempt_at: '2026-11-27T11:59:00Z', last_response_code: 200 }), { now: NOW }), []);
  });

  it('inactive: why, what to do, and a replay from the last attempt', () => {
    const lines = advice(snapshot({ webhook_status: 'inactive', last_attempt_at: '2026-11-27T11:57:00Z', last_response_code: 500, last_response_message: 'Internal Server Error' }), { now: NOW });
    assert.equal(lines[0], 'The webhook is inactive: the last delivery at 2026-11-27T11:57:00Z (3 min ago) failed and Konnect stopped streaming to https://siem.example.com/in.');
    assert.equal(lines[1], '  why: the receiver failed (500 Internal Server Error) on every retry');
    assert.equal(lines[2], 'What to do:');
    assert.match(lines[3]!, /^ {2}1\. make https:\/\/siem\.example\.com\/in reachable/);
    assert.match(lines[4]!, /from the last attempt, rounded up/);
    assert.equal(lines[5], '       konnect-audit replay --since 4m');
  });

  it('inactive while a replay job runs: says to request the replay when it has ended', () => {
    const lines = advice(
      snapshot(
        { webhook_status: 'inactive', last_attempt_at: '2026-11-27T11:57:00Z', last_response_code: 500 },
        { replay_job: { status: 'running', start_at: '2026-11-27T06:00:00Z', end_at: '2026-11-27T12:00:00Z', updated_at: '2026-11-27T11:58:00Z' } },
      ),
      { now: NOW },
    );
    assert.equal(lines[6], '     a replay job is running now (2026-11-27T06:00:00Z to 2026-11-27T12:00:00Z): Konnect runs one at a time, so request yours when it has ended');
    const done = advice(snapshot({ webhook_status: 'inactive', last_attempt_at: '2026-11-27T11:57:00Z' }, { replay_job: { status: 'completed', start_at: null, end_at: null, updated_at: null } }), { now: NOW });
    assert.ok(!done.join('\n').includes('a replay job is'));
  });

  it('inactive with stored records: the replay starts at the newest stored record', () => {
    const lines = advice(snapshot({ webhook_status: 'inactive', last_attempt_at: '2026-11-27T11:57:00Z', last_response_code: 401, last_response_message: 'Unauthorized' }), {
      now: NOW,
      newestStoredMs: NOW - 90 * MIN,
    });
    assert.ok(lines.includes('  1. give the webhook the authorization the receiver expects: konnect-audit webhook set --authorization VALUE'), lines.join('\n'));
    assert.ok(lines.includes('       konnect-audit replay --since 91m'), lines.join('\n'));
    assert.ok(lines.some((l) => l.includes('from the newest stored record, 2026-11-27T10:30:00.000Z')));
  });

  it('inactive while a running listener is the receiver, or while the webhook points elsewhere', () => {
    const inactive = { webhook_status: 'inactive' as const, last_attempt_at: '2026-11-27T11:57:00Z' };
    const here = advice(snapshot(inactive), { now: NOW, match: { target: 'listener', listener_endpoints: ['https://siem.example.com/in'] } });
    assert.match(here.join('\n'), /the local listener receiving https:\/\/siem\.example\.com\/in is running: make sure Konnect can reach it/);
    const elsewhere = advice(snapshot(inactive), { now: NOW, match: { target: 'elsewhere', listener_endpoints: ['https://me.ts.net/audit-logs'] } });
    assert.match(elsewhere.join('\n'), /note: the webhook points elsewhere, not at the running listener \(https:\/\/me\.ts\.net\/audit-logs\)/);
  });

  it('disabled and unconfigured: how to enable or configure, for a region or a portal', () => {
    assert.deepEqual(advice(snapshot({ webhook_enabled: false }), { now: NOW }), ['The webhook is disabled: Konnect sends nothing. Enable it with konnect-audit webhook set --enabled']);
    const portal = 'b1b2c3d4-0000-4000-8000-000000000001';
    assert.match(advice(snapshot({ webhook_enabled: false }, { portal_id: portal }), { now: NOW })[0]!, new RegExp(`webhook set --portal-id ${portal} --enabled$`));
    const unconfigured = advice(snapshot({ webhook_status: 'unconfigured', webhook_enabled: false }, { webhook: { ...webhook, endpoint: 'unconfigured' } }), { now: NOW });
    assert.match(unconfigured[0]!, /^The region's webhook is not configured/);
    assert.match(advice(snapshot({ webhook_status: 'unconfigured' }, { portal_id: portal }), { now: NOW }).join('\n'), /--destination-id DESTINATION_ID/);
  });

  it('nothing when the status could not be fetched', () => {
    assert.deepEqual(advice({ ...snapshot({}), status: { error: 'boom' } }, { now: NOW }), []);
  });
});
