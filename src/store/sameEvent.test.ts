import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { accessEvent, authenticationEvent, authorizationEvent, type CommonFields } from '../emulator/audit/builders.js';
import { toPullRecord } from '../emulator/audit/pull.js';
import type { AuditEvent, EventKind } from '../records/event.js';
import { recordToJson } from '../records/parse.js';
import { LOG_FORMATS } from '../records/render.js';
import { renderSigned, signingKeyFromSeed } from '../records/signing.js';
import { indexWebhookEvents, pulledEventKey, webhookEventKey } from './sameEvent.js';

const KEY = signingKeyFromSeed(Buffer.alloc(32, 5));
const ORG = 'b065b594-6afc-4658-9101-5d9cf3f36b7b';
const RT = Date.parse('2026-11-27T12:00:00.123Z');
const common = (over: Partial<CommonFields> = {}): CommonFields => ({ rt: RT, src: '127.0.0.6', orgId: ORG, principalId: '87655c36-8d63-48fe-9a1e-53b28dfbc19b', traceId: 3895213347334635099n, userAgent: 'grpc-go/1.54.0', ...over });

const EVENTS: [EventKind, AuditEvent][] = [
  ['authorization', authorizationEvent(common(), { resource: 'control-planes', action: 'list', granted: false })],
  ['authentication', authenticationEvent(common(), { type: 'PAT', outcome: 'INVALID_PASSWORD', request: '/api/v1/authenticate' })],
  ['access', accessEvent(common(), { request: '/konnect-api/api/control_planes', method: 'POST', status: 201, query: '{}' })],
];

/** The emulator's pull record of an event (its own mapping, reference §3.4). */
function pulled(kind: EventKind, event: AuditEvent): Record<string, unknown> {
  return toPullRecord({ seq: 1, rt: RT, portalId: undefined, kind, event }, ORG, KEY) as unknown as Record<string, unknown>;
}

describe('same event in both shapes', () => {
  test('a webhook record (CEF, JSON and CPS) and the pull record of the same event have one key', () => {
    for (const [kind, event] of EVENTS) {
      const pullKey = pulledEventKey(pulled(kind, event));
      assert.ok(pullKey);
      for (const format of LOG_FORMATS) assert.equal(webhookEventKey(recordToJson(renderSigned(event, format, KEY))), pullKey, `${kind} ${format}`);
    }
  });

  test('events differing in any shared field have different keys (an event is never taken for another)', () => {
    const base = pulledEventKey(pulled('authorization', EVENTS[0]![1]));
    const others = [
      authorizationEvent(common({ rt: RT + 1 }), { resource: 'control-planes', action: 'list', granted: false }),
      authorizationEvent(common({ traceId: 3895213347334635098n }), { resource: 'control-planes', action: 'list', granted: false }),
      authorizationEvent(common(), { resource: 'portals', action: 'list', granted: false }),
      authorizationEvent(common(), { resource: 'control-planes', action: 'list', granted: true }),
      authorizationEvent(common({ principalId: 'someone-else' }), { resource: 'control-planes', action: 'list', granted: false }),
    ];
    for (const other of others) assert.notEqual(webhookEventKey(recordToJson(renderSigned(other, 'json', KEY))), base);
  });

  test('indexWebhookEvents: webhook records of the range only; pull records and unreadable lines are skipped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'konnect-audit-same-event-'));
    try {
      const [kind, event] = EVENTS[2]!;
      const late = accessEvent(common({ rt: RT + 60_000 }), { request: '/x', method: 'GET', status: 200, query: '{}' });
      const file = join(dir, 'events.jsonl');
      writeFileSync(file, [renderSigned(event, 'cef', KEY), JSON.stringify(pulled(kind, event)), 'not a record', renderSigned(late, 'json', KEY)].join('\n') + '\n');
      const keys = await indexWebhookEvents([file, join(dir, 'missing.jsonl')], RT, RT + 1000, () => assert.fail('no file error expected'));
      assert.deepEqual([...keys], [pulledEventKey(pulled(kind, event))]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
