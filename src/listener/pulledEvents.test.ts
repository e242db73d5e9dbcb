import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { accessEvent, authorizationEvent } from '../emulator/audit/builders.js';
import { toPullRecord } from '../emulator/audit/pull.js';
import { renderSigned, signingKeyFromSeed } from '../records/signing.js';
import { PulledEvents } from './pulledEvents.js';

const KEY = signingKeyFromSeed(Buffer.alloc(32, 7));
const ORG = 'b065b594-6afc-4658-9101-5d9cf3f36b7b';
const RT = Date.parse('2026-11-27T12:00:00.123Z');
const common = { rt: RT, src: '127.0.0.6', orgId: ORG, principalId: '87655c36-8d63-48fe-9a1e-53b28dfbc19b', traceId: 42n, userAgent: 'curl/8' };
const event = authorizationEvent(common, { resource: 'control-planes', action: 'list', granted: true });
const other = accessEvent(common, { request: '/x', method: 'GET', status: 200, query: '{}' });
const pulledLine = JSON.stringify(toPullRecord({ seq: 1, rt: RT, portalId: undefined, kind: 'authorization', event }, ORG, KEY));

describe('PulledEvents', () => {
  test('holds the webhook record (any format) of an event stored as a pulled record, and nothing else', () => {
    const pulled = new PulledEvents();
    assert.equal(pulled.holds(Buffer.from(renderSigned(event, 'json', KEY))), false, 'nothing pulled: nothing held');
    for (const line of [renderSigned(other, 'cef', KEY), 'not a record', '{"signature":"x", broken', pulledLine]) pulled.consider(line);
    assert.equal(pulled.size, 1, 'only the pull record is noted');
    for (const format of ['cef', 'json', 'cps'] as const) assert.equal(pulled.holds(Buffer.from(renderSigned(event, format, KEY))), true, format);
    assert.equal(pulled.holds(Buffer.from(renderSigned(other, 'json', KEY))), false);
    assert.equal(pulled.holds(Buffer.from('garbage')), false);
  });
});
