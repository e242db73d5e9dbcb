import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { eventRow, FIXED_WIDTHS, formatRow, renderTable } from './render.js';

const AUTHZ = { name: 'Authz.control-planes', principal_id: 'p-1', rt: 1750280466889, action: 'list', granted: true };
const DENIED = { ...AUTHZ, granted: false, action: 'edit' };
const AUTHN = { name: 'AUTHENTICATION_OUTCOME_INVALID_PASSWORD', event_ts: '2025-05-16T00:28:01Z', principal_id: 'p-2', request: '/api/v1/authenticate', success: 'false' };
const ACCESS = { name: 'Ingress', rt: '1684196881193', principal_id: 'p-1', act: 'POST', request: '/konnect-api/api/control_planes', status: 201 };

describe('eventRow', () => {
  test('authorization: action and resource, granted or denied', () => {
    assert.deepEqual(eventRow(AUTHZ), ['2025-06-18T21:01:06.889Z', 'authorization', 'p-1', 'list control-planes', 'granted']);
    assert.equal(eventRow(DENIED)[4], 'denied');
  });
  test('authentication: request and outcome, success or failure', () => {
    assert.deepEqual(eventRow(AUTHN), ['2025-05-16T00:28:01.000Z', 'authentication', 'p-2', '/api/v1/authenticate INVALID_PASSWORD', 'failure']);
    assert.equal(eventRow({ ...AUTHN, name: 'AUTHENTICATION_OUTCOME_SUCCESS', success: true })[4], 'success');
  });
  test('access: method, path and status; the status is the outcome', () => {
    assert.deepEqual(eventRow(ACCESS), ['2023-05-16T00:28:01.193Z', 'access', 'p-1', 'POST /konnect-api/api/control_planes 201', '201']);
  });
  test('missing fields show as -, control characters are escaped', () => {
    assert.deepEqual(eventRow({}), ['-', 'access', '-', '-', '-']);
    assert.equal(eventRow({ name: 'Ingress', request: '/a\n\u001b[31mb' })[3], '/a\\u000a\\u001b[31mb');
  });
});

describe('formatRow and renderTable', () => {
  test('text pads to fixed widths; longer cells push on', () => {
    const line = formatRow(eventRow(AUTHZ), FIXED_WIDTHS);
    assert.equal(line, '2025-06-18T21:01:06.889Z  authorization   p-1' + ' '.repeat(33) + '  list control-planes' + ' '.repeat(29) + '  granted\n');
  });
  test('table: a header and columns sized to the rows', () => {
    const table = renderTable([eventRow(AUTHZ), eventRow(ACCESS)]);
    assert.equal(
      table,
      [
        'TIME                      TYPE           PRINCIPAL  ACTION                                    OUTCOME',
        '2025-06-18T21:01:06.889Z  authorization  p-1        list control-planes                       granted',
        '2023-05-16T00:28:01.193Z  access         p-1        POST /konnect-api/api/control_planes 201  201',
        '',
      ].join('\n'),
    );
    assert.equal(renderTable([]), 'TIME  TYPE  PRINCIPAL  ACTION  OUTCOME\n');
  });
});

describe('eventRow of pull API records', () => {
  test('authorization: action and the KRN resource, granted or denied', () => {
    const row = eventRow({ type: 'authorization', ts: '2026-11-27T12:00:00.5Z', principal_id: 'p-1', action: 'list', resource: 'krn:konnect:org/b065:control-planes', granted: false });
    assert.deepEqual(row, ['2026-11-27T12:00:00.500Z', 'authorization', 'p-1', 'list control-planes', 'denied']);
  });
  test('authentication: uri and outcome, success or failure', () => {
    const row = eventRow({ type: 'authentication', ts: '2026-11-27T12:00:00Z', uri: '/api/v1/authenticate', outcome: 'invalid_password', successful: false });
    assert.deepEqual(row, ['2026-11-27T12:00:00.000Z', 'authentication', '-', '/api/v1/authenticate INVALID_PASSWORD', 'failure']);
  });
  test('gateway_access: method, uri and status code', () => {
    const row = eventRow({ type: 'gateway_access', ts: '2026-11-27T12:00:00Z', principal_id: 'p-2', method: 'POST', uri: '/v2/control-planes', status_code: 201 });
    assert.deepEqual(row, ['2026-11-27T12:00:00.000Z', 'access', 'p-2', 'POST /v2/control-planes 201', '201']);
  });
});
