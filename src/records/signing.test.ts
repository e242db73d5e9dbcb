import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatEventTs, type AuditEvent } from './event.js';
import { renderCef, renderJson, unwrapCps, wrapCps } from './render.js';
import { importJwks, parsePullRecord, pullSignedMessage, renderSigned, signingKeyFromSeed, splitSignature, verifyRecord, type Jwks } from './signing.js';

// Reference §8.5: synthetic test vectors generated for the reference document.
const SEED = Buffer.from('0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20', 'hex');
const JWKS = '{"keys":[{"kty":"OKP","alg":"EdDSA","kid":"4e1cf1bb1520cd0d9a99ee1f4ae7521647dd6a53","crv":"Ed25519","x":"ebVWLo_mVPlAeLES6KmLp5AfhTrmlb7X4OORC60ElmQ"}]}';
const JSON_VECTOR =
  '{"action":"list","cef_version":0,"event_class_id":"konnect","event_product":"Konnect","event_ts":"2025-06-18T21:02:36Z","event_vendor":"KongInc","event_version":"1.0","granted":true,"name":"Authz.control-planes","org_id":"777db3e4-5cb7-4dd5-b51c-9878096a6999","principal_id":"eb999f01-5976-4f4b-9fbc-dd5d514bd675","rt":1750280466889,"severity":1,"src":"127.0.0.6","trace_id":3959872677347089807,"user_agent":"grpc-node-js/1.12.4","sig":"wYFxpavagwtJP0HSMT5HX_ZQXcpHjgZSjMjkCtWjvTv647jR-VQyyitCfM-zr-CTDTx4wBgGqOYtgvUCRr6fCA"}';
const CEF_VECTOR =
  '2025-06-18T21:02:36Z konghq.com CEF:0|KongInc|Konnect|1.0|konnect|Authz.control-planes|1|rt=1750280466889 src=127.0.0.6 action=list granted=true org_id=777db3e4-5cb7-4dd5-b51c-9878096a6999 principal_id=eb999f01-5976-4f4b-9fbc-dd5d514bd675 trace_id=3959872677347089807 user_agent=grpc-node-js/1.12.4 sig=LOdZA3_MhohXqOtPCONiEnzSnbT9tGEnVq0LJWX1pUdX_LTAbgy7IJxI4lK8-7bWnuODAlYS2AIWr2212MuYDA';

const VECTOR_EVENT: AuditEvent = {
  eventTs: '2025-06-18T21:02:36Z',
  product: 'Konnect',
  eventClassId: 'konnect',
  name: 'Authz.control-planes',
  severity: 1,
  extensions: [
    ['rt', 1750280466889],
    ['src', '127.0.0.6'],
    ['action', 'list'],
    ['granted', true],
    ['org_id', '777db3e4-5cb7-4dd5-b51c-9878096a6999'],
    ['principal_id', 'eb999f01-5976-4f4b-9fbc-dd5d514bd675'],
    ['trace_id', 3959872677347089807n],
    ['user_agent', 'grpc-node-js/1.12.4'],
  ],
};

describe('reference §8.5 test vectors', () => {
  const key = signingKeyFromSeed(SEED);

  test('the seed gives exactly the reference JWKS', () => {
    assert.equal(JSON.stringify({ keys: [key.jwk] }), JWKS);
  });

  test('the JSON record is reproduced byte for byte', () => {
    assert.equal(renderSigned(VECTOR_EVENT, 'json', key), JSON_VECTOR);
  });

  test('the CEF record is reproduced byte for byte', () => {
    assert.equal(renderSigned(VECTOR_EVENT, 'cef', key), CEF_VECTOR);
  });

  test('both vectors verify against the reference JWKS', () => {
    const keys = importJwks(JSON.parse(JWKS) as { keys: [] });
    assert.equal(verifyRecord(JSON_VECTOR, keys), 'valid');
    assert.equal(verifyRecord(CEF_VECTOR, keys), 'valid');
  });

  test('CPS wraps the signed JSON record and verifies by the JSON rule', () => {
    const cps = renderSigned(VECTOR_EVENT, 'cps', key);
    assert.equal(cps, `{"event":${JSON_VECTOR}}`);
    assert.equal(unwrapCps(cps), JSON_VECTOR);
    assert.equal(verifyRecord(cps, importJwks({ keys: [key.jwk] })), 'valid');
  });
});

describe('rendering', () => {
  test('JSON keys are sorted lexicographically and trace_id stays an exact 64-bit number', () => {
    const json = renderJson(VECTOR_EVENT);
    assert.match(json, /"trace_id":3959872677347089807,/);
    const keys = [...json.matchAll(/"([a-z_]+)":/g)].map((m) => m[1]);
    assert.deepEqual(keys, [...keys].sort());
  });

  test('cef_version can be rendered as the string "0" of the 2023 sample', () => {
    assert.match(renderJson(VECTOR_EVENT, { cefVersionAsString: true }), /"cef_version":"0",/);
  });

  test('CEF keeps values with spaces, parentheses and JSON unescaped, as Konnect does', () => {
    const event: AuditEvent = { ...VECTOR_EVENT, extensions: [['rt', 1], ['user_agent', 'grpc-node/1.24.11 grpc-c/8.0.0 (linux; chttp2; ganges)'], ['query', '{"end":"1"}']] };
    assert.equal(renderCef(event).split('|')[7], 'rt=1 user_agent=grpc-node/1.24.11 grpc-c/8.0.0 (linux; chttp2; ganges) query={"end":"1"}');
  });

  test('event_ts has whole seconds in UTC', () => {
    assert.equal(formatEventTs(1750280466889), '2025-06-18T21:01:06Z');
  });

  test('unwrapCps refuses lines that are not CPS', () => {
    assert.equal(unwrapCps('{"action":"x"}'), undefined);
    assert.equal(wrapCps('{"a":1}'), '{"event":{"a":1}}');
  });
});

describe('verification', () => {
  const key = signingKeyFromSeed(SEED);
  const keys = importJwks({ keys: [key.jwk] });

  test('any changed byte makes a record invalid', () => {
    for (const line of [JSON_VECTOR, CEF_VECTOR]) {
      for (let i = 0; i < line.length; i += 7) {
        const c = line[i] === 'a' ? 'b' : 'a';
        const tampered = line.slice(0, i) + c + line.slice(i + 1);
        assert.notEqual(verifyRecord(tampered, keys), 'valid', `byte ${i} changed in ${line.slice(0, 20)}`);
      }
    }
  });

  test('records without sig are unsigned', () => {
    assert.equal(verifyRecord(renderSigned(VECTOR_EVENT, 'json', undefined), keys), 'unsigned');
    assert.equal(verifyRecord(renderSigned(VECTOR_EVENT, 'cef', undefined), keys), 'unsigned');
  });

  test('a record signed by another key is invalid; any key of the set may match', () => {
    const other = signingKeyFromSeed(Buffer.alloc(32, 7));
    const line = renderSigned(VECTOR_EVENT, 'json', other);
    assert.equal(verifyRecord(line, keys), 'invalid');
    assert.equal(verifyRecord(line, importJwks({ keys: [key.jwk, other.jwk] })), 'valid');
  });

  test('a sig moved mid-object (as in the pretty-printed docs) is still found', () => {
    const line = renderSigned(VECTOR_EVENT, 'json', key);
    const sig = /"sig":"([^"]+)"/.exec(line)![1]!;
    const moved = line.replace(`,"sig":"${sig}"`, '').replace('"severity":1,', `"severity":1,"sig":"${sig}",`);
    assert.deepEqual(splitSignature(moved)?.sig, sig);
  });

  test('a malformed sig is invalid, not an exception', () => {
    assert.equal(verifyRecord(CEF_VECTOR.replace(/sig=\S+$/, 'sig=short'), keys), 'invalid');
    assert.equal(verifyRecord(JSON_VECTOR.replace(/"sig":"[^"]+"/, '"sig":"!!"'), keys), 'invalid');
  });
});

describe('pull API records (signature over sorted compact JSON, the emulator\'s assumed scheme)', () => {
  const key = signingKeyFromSeed(SEED);
  const keys = importJwks(JSON.parse(JWKS) as Jwks);
  // Keys in the API's order (not sorted): the signature covers them sorted, without "signature".
  const fields = { type: 'authorization', service: 'konnect', resource: 'krn:konnect:org/o:control-planes', action: 'list', granted: true, org_id: 'o', principal_id: 'p', ts: '2026-11-27T12:00:00.5Z', trace_id: '3959872677347089807' };
  const sorted = '{"action":"list","granted":true,"org_id":"o","principal_id":"p","resource":"krn:konnect:org/o:control-planes","service":"konnect","trace_id":"3959872677347089807","ts":"2026-11-27T12:00:00.5Z","type":"authorization"}';
  const line = JSON.stringify({ ...fields, signature: key.sign(sorted) });

  test('pullSignedMessage sorts the keys and leaves out signature', () => {
    assert.equal(pullSignedMessage({ ...fields, signature: 'x' }), sorted);
  });

  test('a signed pull record verifies; altered, it is invalid; with another key, invalid', () => {
    assert.equal(verifyRecord(line, keys), 'valid');
    assert.equal(verifyRecord(line.replace('"granted":true', '"granted":false'), keys), 'invalid');
    assert.equal(verifyRecord(line, importJwks({ keys: [signingKeyFromSeed(Buffer.alloc(32, 9)).jwk] })), 'invalid');
  });

  test('an empty signature is unsigned; a malformed one invalid; a webhook record is not taken for a pull record', () => {
    assert.equal(verifyRecord(JSON.stringify({ ...fields, signature: '' }), keys), 'unsigned');
    assert.equal(verifyRecord(JSON.stringify({ ...fields, signature: 'MEUCIQ' }), keys), 'invalid');
    assert.equal(parsePullRecord(JSON_VECTOR), undefined);
    assert.equal(parsePullRecord('{"signature":"x"}'), undefined); // no ts: not a pull record
    assert.deepEqual(parsePullRecord(line), JSON.parse(line));
  });
});
