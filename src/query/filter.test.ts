import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { eventType, hasConditions, matchesQuery, recordType } from './filter.js';

const AUTHN = { name: 'AUTHENTICATION_OUTCOME_SUCCESS', principal_id: 'p1', rt: 1000, success: true };
const AUTHZ = { name: 'Authz.control-planes', principal_id: 'p2', rt: 2000, action: 'list', granted: false };
const ACCESS = { name: 'Ingress', principal_id: 'p1', event_ts: '1970-01-01T00:00:03Z', act: 'POST', status: 201 };

describe('eventType', () => {
  test('by name, as reference §6.1', () => {
    assert.equal(eventType('AUTHENTICATION_OUTCOME_INVALID_PASSWORD'), 'authentication');
    assert.equal(eventType('Authz.portals'), 'authorization');
    assert.equal(eventType('Ingress'), 'access');
    assert.equal(eventType('authz.lowercase'), 'access');
    assert.equal(eventType(undefined), 'access');
  });
});

describe('matchesQuery', () => {
  const all = [AUTHN, AUTHZ, ACCESS];
  const keep = (q: Parameters<typeof matchesQuery>[0]) => all.filter((r) => matchesQuery(q, r));

  test('no conditions keep everything, even records without time', () => {
    assert.equal(hasConditions({}), false);
    assert.deepEqual(keep({}), all);
    assert.equal(matchesQuery({}, { name: 'Ingress' }), true);
  });
  test('type', () => {
    assert.deepEqual(keep({ type: 'authentication' }), [AUTHN]);
    assert.deepEqual(keep({ type: 'authorization' }), [AUTHZ]);
    assert.deepEqual(keep({ type: 'access' }), [ACCESS]);
  });
  test('principal', () => {
    assert.deepEqual(keep({ principal: 'p1' }), [AUTHN, ACCESS]);
    assert.deepEqual(keep({ principal: 'nobody' }), []);
  });
  test('granted: authorization records only, boolean or string', () => {
    assert.deepEqual(keep({ granted: false }), [AUTHZ]);
    assert.deepEqual(keep({ granted: true }), []);
    assert.equal(matchesQuery({ granted: true }, { name: 'Authz.x', granted: 'true' }), true);
    assert.equal(matchesQuery({ granted: true }, { name: 'Ingress', granted: true }), false);
  });
  test('time: since inclusive, until exclusive, rt else event_ts, no time never matches', () => {
    assert.deepEqual(keep({ since: 2000 }), [AUTHZ, ACCESS]);
    assert.deepEqual(keep({ until: 2000 }), [AUTHN]);
    assert.deepEqual(keep({ since: 1500, until: 3001 }), [AUTHZ, ACCESS]);
    assert.equal(matchesQuery({ since: 0 }, { name: 'Ingress' }), false);
    assert.equal(hasConditions({ until: 5 }), true);
  });
  test('conditions combine', () => {
    assert.deepEqual(keep({ principal: 'p1', type: 'access', since: 3000 }), [ACCESS]);
  });
});

describe('pull API records (type, ts, principal_id, granted)', () => {
  const PULL_AUTHZ = { type: 'authorization', ts: '2026-11-27T12:00:00.5Z', principal_id: 'p2', granted: false, signature: 's' };
  const PULL_AUTHN = { type: 'authentication', ts: '2026-11-27T12:00:01Z', principal_id: 'p1', successful: true, signature: 's' };
  const PULL_ACCESS = { type: 'gateway_access', ts: '2026-11-27T12:00:02Z', principal_id: 'p1', status_code: 200, signature: 's' };

  test('recordType: the pull type, gateway_access as access; webhook records by name', () => {
    assert.equal(recordType(PULL_AUTHZ), 'authorization');
    assert.equal(recordType(PULL_AUTHN), 'authentication');
    assert.equal(recordType(PULL_ACCESS), 'access');
    assert.equal(recordType(AUTHN), 'authentication');
    assert.equal(recordType({ type: 'authorization', name: 'Ingress' }), 'access');
  });

  test('--type, --granted, --principal and times filter them as webhook records', () => {
    const all = [PULL_AUTHZ, PULL_AUTHN, PULL_ACCESS];
    assert.deepEqual(all.filter((r) => matchesQuery({ type: 'access' }, r)), [PULL_ACCESS]);
    assert.deepEqual(all.filter((r) => matchesQuery({ granted: false }, r)), [PULL_AUTHZ]);
    assert.deepEqual(all.filter((r) => matchesQuery({ principal: 'p1' }, r)), [PULL_AUTHN, PULL_ACCESS]);
    assert.deepEqual(all.filter((r) => matchesQuery({ since: Date.parse('2026-11-27T12:00:01Z') }, r)), [PULL_AUTHN, PULL_ACCESS]);
  });
});
