import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { AuditEvent, Extension, ExtensionValue } from './event.js';
import { CefParseError, RecordParseError, detectFormat, parseCef, recordToJson } from './parse.js';
import { renderCef, renderJson, wrapCps } from './render.js';
import { renderSigned, signingKeyFromSeed } from './signing.js';

// Reference §8.5: the same event as a signed JSON record and as a signed CEF record.
const JSON_VECTOR =
  '{"action":"list","cef_version":0,"event_class_id":"konnect","event_product":"Konnect","event_ts":"2025-06-18T21:02:36Z","event_vendor":"KongInc","event_version":"1.0","granted":true,"name":"Authz.control-planes","org_id":"777db3e4-5cb7-4dd5-b51c-9878096a6999","principal_id":"eb999f01-5976-4f4b-9fbc-dd5d514bd675","rt":1750280466889,"severity":1,"src":"127.0.0.6","trace_id":3959872677347089807,"user_agent":"grpc-node-js/1.12.4","sig":"wYFxpavagwtJP0HSMT5HX_ZQXcpHjgZSjMjkCtWjvTv647jR-VQyyitCfM-zr-CTDTx4wBgGqOYtgvUCRr6fCA"}';
const CEF_VECTOR =
  '2025-06-18T21:02:36Z konghq.com CEF:0|KongInc|Konnect|1.0|konnect|Authz.control-planes|1|rt=1750280466889 src=127.0.0.6 action=list granted=true org_id=777db3e4-5cb7-4dd5-b51c-9878096a6999 principal_id=eb999f01-5976-4f4b-9fbc-dd5d514bd675 trace_id=3959872677347089807 user_agent=grpc-node-js/1.12.4 sig=LOdZA3_MhohXqOtPCONiEnzSnbT9tGEnVq0LJWX1pUdX_LTAbgy7IJxI4lK8-7bWnuODAlYS2AIWr2212MuYDA';
const JSON_VECTOR_SIG = 'wYFxpavagwtJP0HSMT5HX_ZQXcpHjgZSjMjkCtWjvTv647jR-VQyyitCfM-zr-CTDTx4wBgGqOYtgvUCRr6fCA';
const CEF_VECTOR_SIG = 'LOdZA3_MhohXqOtPCONiEnzSnbT9tGEnVq0LJWX1pUdX_LTAbgy7IJxI4lK8-7bWnuODAlYS2AIWr2212MuYDA';

// Reference §6.6 (and the §6.4 byte-exact sample), single-line as on the wire.
const AUTHN_CEF =
  '2025-05-19T00:03:39Z konghq.com CEF:0|KongInc|Konnect|1.0|AUTHENTICATION_TYPE_PAT|AUTHENTICATION_OUTCOME_SUCCESS|0|rt=3958q3097698 src=127.0.0.1 request=/api/v1/personal-access-tokens/introspect success=true org_id=b065b594-6afc-4658-9101-5d9cf3f36b7b principal_id=87655c36-8d63-48fe-9a1e-53b28dfbc19b trace_id=3895213347334635099 user_agent=grpc-go/1.51.0 sig=N_4q2pCgeg0Fg4oGJSfUWKScnTCiC79vq8PIX6Sc_rwaxdWKpVfPwkW45yK_oOFV9gHOmnJBffcB1NmTSwRRDg';
const AUTHN_JSON =
  '{"cef_version":0,"event_class_id":"AUTHENTICATION_TYPE_BASIC","event_product":"Konnect","event_ts":"2025-05-16T00:28:01Z","event_vendor":"KongInc","event_version":"1.0","name":"AUTHENTICATION_OUTCOME_SUCCESS","org_id":"b065b594-6afc-4658-9101-5d9cf3f36b7b","principal_id":"87655c36-8d63-48fe-9a1e-53b28dfbc19b","request":"/api/v1/authenticate","rt":"1684524079524","severity":0,"src":"127.0.0.6","success":"true","trace_id":6891110586028963295,"user_agent":"grpc-node-js/1.8.10","sig":"N_4q..."}';
const PORTAL_CEF =
  '2025-06-23T14:28:47Z konghq.com CEF:0|KongInc|Dev-Portal|1.0|AUTHENTICATION_TYPE_BASIC|AUTHENTICATION_OUTCOME_SUCCESS|0|rt=1750688927556 src=172.71.232.22 request=/api/v2/developer/authenticate success=true org_id=998db3e4-5cb7-4dd5-b51c-9878096a6999 portal_id=3e551b39-227d-4297-b911-e68fd5d77c17 principal_id=a3d2699a-0ed3-4417-bb10-d8e74a1513a4 trace_id=3360194145499877252 user_agent= sig=XQC3OSFxLbi5dy2-o4xAXHT-x8oW5Df-zVsACWQLMU9Q-sPnEyk5CVs4JHwuRcwO0QNLsNaP1wsyrXYPeneXDQ';
const PORTAL_JSON =
  '{"cef_version":0,"event_class_id":"AUTHENTICATION_TYPE_BASIC","event_product":"Dev-Portal","event_ts":"2025-06-23T14:28:47Z","event_vendor":"KongInc","event_version":"1.0","name":"AUTHENTICATION_OUTCOME_SUCCESS","org_id":"998db3e4-5cb7-4dd5-b51c-9878096a6999","portal_id":"3e551b39-227d-4297-b911-e68fd5d77c17","principal_id":"a3d2699a-0ed3-4417-bb10-d8e74a1513a4","request":"/api/v2/developer/authenticate","rt":"1750688927556","severity":0,"sig":"XQC3...","src":"172.71.232.22","success":"true","trace_id":3360194145499877252,"user_agent":""}';
const AUTHZ_CEF =
  '2025-06-18T21:02:36Z konghq.com CEF:0|KongInc|Konnect|1.0|konnect|Authz.control-planes|1|rt=1750280466889 src=127.0.0.6 action=list granted=true org_id=777db3e4-5cb7-4dd5-b51c-9878096a6999 principal_id=eb999f01-5976-4f4b-9fbc-dd5d514bd675 trace_id=3959872677347089807 user_agent=grpc-node-js/1.12.4 sig=KbLaBhQFnggT_8CyC95b777R1_fGvvLVDn7awjZK8eZLdGPrSvnS-sxJw63j930eKr-VTsQv8-TQTD_GVmAPAQ';
const AUTHZ_JSON =
  '{"action":"list","cef_version":0,"event_class_id":"konnect","event_product":"Konnect","event_ts":"2025-05-16T00:28:01Z","event_vendor":"KongInc","event_version":"1.0","granted":true,"name":"Authz.portals","org_id":"b065b594-6afc-4658-9101-5d9cf3f36b7b","principal_id":"87655c36-8d63-48fe-9a1e-53b28dfbc19b","rt":"1684196881193","severity":1,"src":"127.0.0.6","trace_id":6891110586028963295,"user_agent":"grpc-node-js/1.8.10","sig":"N_4q..."}';
const MOZILLA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/113.0.0.0 Safari/537.36';
const ACCESS_CEF = `2025-05-16T20:09:54Z konghq.com CEF:0|KongInc|Konnect|1.0|KongGateway|Ingress|1|rt=1684267794226 src=127.0.0.6 request=/konnect-api/api/vitals/v1/explore act=POST status=200 org_id=b065b594-6afc-4658-9101-5d9cf3f36b7b principal_id=87655c36-8d63-48fe-9a1e-53b28dfbc19b user_agent=${MOZILLA} trace_id=1146381705542353508 query={"end":"1684270800","start":"1684098000"} sig=...`;
const ACCESS_JSON =
  '{"act":"POST","cef_version":0,"event_class_id":"KongGateway","event_product":"Konnect","event_ts":"2025-05-16T00:28:01Z","event_vendor":"KongInc","event_version":"1.0","name":"Ingress","org_id":"b065b594-6afc-4658-9101-5d9cf3f36b7b","principal_id":"87655c36-8d63-48fe-9a1e-53b28dfbc19b","query":"{}","request":"/konnect-api/api/control_planes/1c026712-c17d-4e30-ac27-53a6cdc56b9c/services","rt":"1684196881193","severity":1,"src":"127.0.0.6","status":201,"trace_id":6891110586028963295,"user_agent":"Mozilla/5.0 ...","sig":"N_4q..."}';
const SAMPLE_2023_JSON =
  '{"action":"read","cef_version":"0","event_class_id":"identity","event_product":"Konnect","event_ts":"2023-04-28T20:52:09Z","event_vendor":"KongInc","event_version":"1.0","granted":true,"name":"Authz.identity-provider","org_id":"b065b594-6afc-4658-9101-5d9cf3f36b7b","principal_id":"87655c36-8d63-48fe-9a1e-53b28dfbc19b","rt":1682715129807,"severity":1,"src":"127.0.0.6","trace_id":3895213347334635099,"user_agent":"grpc-go/1.54.0","sig":"Jm73seSwAiacSBysDmgQ3D_R_1c39_T0Iuus9GqUEnAjCc-UnyKhFgS8jDx5UIl4J6PTCH5ouuPizwnjnMDECg"}';

/** A header for hand-written CEF lines. */
const HEAD = '2025-06-18T21:02:36Z konghq.com CEF:0|KongInc|Konnect|1.0|konnect|Authz.portals|1|';

/** The extensions of a hand-written line after HEAD. */
function extensionsOf(extensionText: string): readonly (readonly [string, string])[] {
  return parseCef(HEAD + extensionText).extensions;
}

/** Asserts that `fn` throws CefParseError with the reason and column. */
function assertCefError(fn: () => unknown, reason: RegExp, column: number): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof CefParseError, `expected CefParseError, got ${String(error)}`);
    assert.match(error.message, reason);
    assert.equal(error.column, column);
    assert.match(error.message, new RegExp(`\\(column ${column}\\)$`));
    return true;
  });
}

describe('reference §8.5 vectors', () => {
  test('the CEF vector gives the JSON vector byte for byte except sig, which signs each format\'s own bytes', () => {
    assert.equal(recordToJson(CEF_VECTOR), JSON_VECTOR.replace(JSON_VECTOR_SIG, CEF_VECTOR_SIG));
  });

  test('without its sig the CEF vector gives exactly the unsigned JSON record', () => {
    const unsignedCef = CEF_VECTOR.slice(0, CEF_VECTOR.indexOf(' sig='));
    const unsignedJson = JSON_VECTOR.slice(0, JSON_VECTOR.indexOf(',"sig":')) + '}';
    assert.equal(recordToJson(unsignedCef), unsignedJson);
  });

  test('the JSON vector is returned unchanged, trace_id with all 19 digits', () => {
    assert.equal(recordToJson(JSON_VECTOR), JSON_VECTOR);
    assert.match(recordToJson(CEF_VECTOR), /"trace_id":3959872677347089807,/);
  });

  test('the CPS vector gives the inner JSON record byte for byte', () => {
    assert.equal(recordToJson(wrapCps(JSON_VECTOR)), JSON_VECTOR);
  });
});

describe('reference §6.6 examples', () => {
  test('org authentication CEF: success is a boolean, the doc\'s malformed rt stays a string', () => {
    assert.equal(
      recordToJson(AUTHN_CEF),
      '{"cef_version":0,"event_class_id":"AUTHENTICATION_TYPE_PAT","event_product":"Konnect","event_ts":"2025-05-19T00:03:39Z","event_vendor":"KongInc","event_version":"1.0","name":"AUTHENTICATION_OUTCOME_SUCCESS","org_id":"b065b594-6afc-4658-9101-5d9cf3f36b7b","principal_id":"87655c36-8d63-48fe-9a1e-53b28dfbc19b","request":"/api/v1/personal-access-tokens/introspect","rt":"3958q3097698","severity":0,"src":"127.0.0.1","success":true,"trace_id":3895213347334635099,"user_agent":"grpc-go/1.51.0","sig":"N_4q2pCgeg0Fg4oGJSfUWKScnTCiC79vq8PIX6Sc_rwaxdWKpVfPwkW45yK_oOFV9gHOmnJBffcB1NmTSwRRDg"}',
    );
  });

  test('Dev Portal authentication CEF with an empty user_agent gives "" and a portal_id', () => {
    assert.equal(
      recordToJson(PORTAL_CEF),
      '{"cef_version":0,"event_class_id":"AUTHENTICATION_TYPE_BASIC","event_product":"Dev-Portal","event_ts":"2025-06-23T14:28:47Z","event_vendor":"KongInc","event_version":"1.0","name":"AUTHENTICATION_OUTCOME_SUCCESS","org_id":"998db3e4-5cb7-4dd5-b51c-9878096a6999","portal_id":"3e551b39-227d-4297-b911-e68fd5d77c17","principal_id":"a3d2699a-0ed3-4417-bb10-d8e74a1513a4","request":"/api/v2/developer/authenticate","rt":1750688927556,"severity":0,"src":"172.71.232.22","success":true,"trace_id":3360194145499877252,"user_agent":"","sig":"XQC3OSFxLbi5dy2-o4xAXHT-x8oW5Df-zVsACWQLMU9Q-sPnEyk5CVs4JHwuRcwO0QNLsNaP1wsyrXYPeneXDQ"}',
    );
  });

  test('authorization CEF: granted is a boolean, sig last', () => {
    assert.equal(
      recordToJson(AUTHZ_CEF),
      '{"action":"list","cef_version":0,"event_class_id":"konnect","event_product":"Konnect","event_ts":"2025-06-18T21:02:36Z","event_vendor":"KongInc","event_version":"1.0","granted":true,"name":"Authz.control-planes","org_id":"777db3e4-5cb7-4dd5-b51c-9878096a6999","principal_id":"eb999f01-5976-4f4b-9fbc-dd5d514bd675","rt":1750280466889,"severity":1,"src":"127.0.0.6","trace_id":3959872677347089807,"user_agent":"grpc-node-js/1.12.4","sig":"KbLaBhQFnggT_8CyC95b777R1_fGvvLVDn7awjZK8eZLdGPrSvnS-sxJw63j930eKr-VTsQv8-TQTD_GVmAPAQ"}',
    );
  });

  test('access CEF: the Mozilla user agent with spaces and the JSON query stay whole, status is a number', () => {
    assert.deepEqual(parseCef(ACCESS_CEF).extensions, [
      ['rt', '1684267794226'],
      ['src', '127.0.0.6'],
      ['request', '/konnect-api/api/vitals/v1/explore'],
      ['act', 'POST'],
      ['status', '200'],
      ['org_id', 'b065b594-6afc-4658-9101-5d9cf3f36b7b'],
      ['principal_id', '87655c36-8d63-48fe-9a1e-53b28dfbc19b'],
      ['user_agent', MOZILLA],
      ['trace_id', '1146381705542353508'],
      ['query', '{"end":"1684270800","start":"1684098000"}'],
      ['sig', '...'],
    ]);
    assert.equal(
      recordToJson(ACCESS_CEF),
      `{"act":"POST","cef_version":0,"event_class_id":"KongGateway","event_product":"Konnect","event_ts":"2025-05-16T20:09:54Z","event_vendor":"KongInc","event_version":"1.0","name":"Ingress","org_id":"b065b594-6afc-4658-9101-5d9cf3f36b7b","principal_id":"87655c36-8d63-48fe-9a1e-53b28dfbc19b","query":"{\\"end\\":\\"1684270800\\",\\"start\\":\\"1684098000\\"}","request":"/konnect-api/api/vitals/v1/explore","rt":1684267794226,"severity":1,"src":"127.0.0.6","status":200,"trace_id":1146381705542353508,"user_agent":"${MOZILLA}","sig":"..."}`,
    );
  });

  test('authorization CEF with an empty actor_id gives actor_id ""', () => {
    const line = `${HEAD}rt=1750280466889 src=127.0.0.6 action=list granted=false org_id=o principal_id=p actor_id= trace_id=1 user_agent=kongctl/0.3.0 sig=abc`;
    assert.equal(
      recordToJson(line),
      '{"action":"list","actor_id":"","cef_version":0,"event_class_id":"konnect","event_product":"Konnect","event_ts":"2025-06-18T21:02:36Z","event_vendor":"KongInc","event_version":"1.0","granted":false,"name":"Authz.portals","org_id":"o","principal_id":"p","rt":1750280466889,"severity":1,"src":"127.0.0.6","trace_id":1,"user_agent":"kongctl/0.3.0","sig":"abc"}',
    );
  });

  test('every JSON example is returned unchanged, whatever its typing or sig position', () => {
    for (const line of [AUTHN_JSON, PORTAL_JSON, AUTHZ_JSON, ACCESS_JSON, SAMPLE_2023_JSON]) {
      assert.equal(detectFormat(line), 'json');
      assert.equal(recordToJson(line), line);
    }
  });

  test('every CEF example is detected as CEF', () => {
    for (const line of [AUTHN_CEF, PORTAL_CEF, AUTHZ_CEF, ACCESS_CEF, CEF_VECTOR]) assert.equal(detectFormat(line), 'cef');
  });

  test('the CEF header fields are parsed into the record', () => {
    const { extensions, ...header } = parseCef(PORTAL_CEF);
    assert.deepEqual(header, {
      timestamp: '2025-06-23T14:28:47Z',
      host: 'konghq.com',
      cefVersion: 0,
      vendor: 'KongInc',
      product: 'Dev-Portal',
      version: '1.0',
      eventClassId: 'AUTHENTICATION_TYPE_BASIC',
      name: 'AUTHENTICATION_OUTCOME_SUCCESS',
      severity: '0',
    });
    assert.deepEqual(extensions.find(([key]) => key === 'user_agent'), ['user_agent', '']);
  });
});

describe('CEF prefixes', () => {
  test('a BSD syslog date before the host is the timestamp', () => {
    const record = parseCef('Apr 14 05:39:08 konghq.com CEF:0|KongInc|Konnect|1.0|konnect|Authz.usage|1|rt=1');
    assert.equal(record.timestamp, 'Apr 14 05:39:08');
    assert.equal(record.host, 'konghq.com');
    assert.equal(parseCef('Apr  4 05:39:08 konghq.com CEF:0|KongInc|Konnect|1.0|konnect|Authz.usage|1|rt=1').timestamp, 'Apr  4 05:39:08');
    assert.equal(
      recordToJson('Apr 14 05:39:08 konghq.com CEF:0|KongInc|Konnect|1.0|konnect|Authz.usage|1|rt=1'),
      '{"cef_version":0,"event_class_id":"konnect","event_product":"Konnect","event_ts":"Apr 14 05:39:08","event_vendor":"KongInc","event_version":"1.0","name":"Authz.usage","rt":1,"severity":1}',
    );
  });

  test('a line starting at CEF: has no timestamp or host, and its JSON no event_ts', () => {
    const record = parseCef('CEF:0|KongInc|Konnect|1.0|konnect|Authz.usage|1|rt=1');
    assert.equal(record.timestamp, undefined);
    assert.equal(record.host, undefined);
    assert.equal(detectFormat('CEF:0|KongInc|Konnect|1.0|konnect|Authz.usage|1|rt=1'), 'cef');
    assert.equal(
      recordToJson('CEF:0|KongInc|Konnect|1.0|konnect|Authz.usage|1|rt=1'),
      '{"cef_version":0,"event_class_id":"konnect","event_product":"Konnect","event_vendor":"KongInc","event_version":"1.0","name":"Authz.usage","rt":1,"severity":1}',
    );
  });

  test('a single token before CEF: is the host, or the timestamp when it looks like one', () => {
    const hostOnly = parseCef('konghq.com CEF:1|V|P|1|c|n|5|');
    assert.deepEqual([hostOnly.timestamp, hostOnly.host, hostOnly.cefVersion], [undefined, 'konghq.com', 1]);
    const tsOnly = parseCef('2025-06-18T21:02:36.123+02:00 CEF:0|V|P|1|c|n|5|');
    assert.deepEqual([tsOnly.timestamp, tsOnly.host], ['2025-06-18T21:02:36.123+02:00', undefined]);
  });

  test('a line terminator and leading whitespace are ignored', () => {
    assert.deepEqual(parseCef(`  ${CEF_VECTOR}\r\n`), parseCef(CEF_VECTOR));
  });
});

describe('CEF escapes', () => {
  test('\\= \\\\ \\n \\r in extension values are unescaped', () => {
    assert.deepEqual(extensionsOf('request=/a\\=b msg=C:\\\\dir\\\\ x=line1\\nline2\\rend'), [
      ['request', '/a=b'],
      ['msg', 'C:\\dir\\'],
      ['x', 'line1\nline2\rend'],
    ]);
  });

  test('an escaped \\= never starts a new key', () => {
    assert.deepEqual(extensionsOf('user_agent=a trace_id\\=1 status\\=2 rt=5'), [
      ['user_agent', 'a trace_id=1 status=2'],
      ['rt', '5'],
    ]);
  });

  test('other backslashes are kept as written (JSON escapes in a query survive)', () => {
    assert.deepEqual(extensionsOf('query={"q":"say \\"hi\\""} request=C:\\temp\\x'), [
      ['query', '{"q":"say \\"hi\\""}'],
      ['request', 'C:\\temp\\x'],
    ]);
  });

  test('\\| and \\\\ are escapes in header fields; an unescaped | separates', () => {
    const record = parseCef('CEF:0|Kong\\|Inc|Kon\\\\nect|1.\\0|a\\|b|n\\\\\\||7|act=x|y');
    assert.deepEqual(
      [record.vendor, record.product, record.version, record.eventClassId, record.name, record.severity],
      ['Kong|Inc', 'Kon\\nect', '1.\\0', 'a|b', 'n\\|', '7'],
    );
    assert.deepEqual(record.extensions, [['act', 'x|y']]);
  });

  test('a backslash before a boundary space is kept literally', () => {
    assert.deepEqual(extensionsOf('request=C:\\ act=GET'), [
      ['request', 'C:\\'],
      ['act', 'GET'],
    ]);
  });
});

describe('splitting values that contain spaces and =', () => {
  test('= inside a value without a space before it stays in the value', () => {
    assert.deepEqual(extensionsOf('query={"a":"b=c"} sig=s'), [
      ['query', '{"a":"b=c"}'],
      ['sig', 's'],
    ]);
  });

  test('a known key inside the JSON query does not split it', () => {
    assert.deepEqual(extensionsOf('query={"q":"x portal_id=1 sig=2 zz=3"} sig=s'), [
      ['query', '{"q":"x portal_id=1 sig=2 zz=3"}'],
      ['sig', 's'],
    ]);
  });

  test('an unknown key inside parentheses or quotes stays in the value', () => {
    assert.deepEqual(extensionsOf('user_agent=Foo/1.0 (build x=1) "a b=c" trace_id=7'), [
      ['user_agent', 'Foo/1.0 (build x=1) "a b=c"'],
      ['trace_id', '7'],
    ]);
  });

  test('an unknown key after a balanced value starts a new extension (a field Konnect may add)', () => {
    assert.deepEqual(extensionsOf('user_agent=grpc-go/1.54.0 team_id=t1 sig=s'), [
      ['user_agent', 'grpc-go/1.54.0'],
      ['team_id', 't1'],
      ['sig', 's'],
    ]);
  });

  test('a known key after unbalanced text still starts an extension (a truncated user agent)', () => {
    assert.deepEqual(extensionsOf('user_agent=Mozilla/5.0 (Windows trace_id=9 sig=s'), [
      ['user_agent', 'Mozilla/5.0 (Windows'],
      ['trace_id', '9'],
      ['sig', 's'],
    ]);
  });

  test('a key already seen in the record is value text', () => {
    assert.deepEqual(extensionsOf('src=1.2.3.4 user_agent=evil src=6.6.6.6 act=GET'), [
      ['src', '1.2.3.4'],
      ['user_agent', 'evil src=6.6.6.6'],
      ['act', 'GET'],
    ]);
  });

  test('only the trailing sig=<token> is the signature', () => {
    assert.deepEqual(extensionsOf('user_agent=x sig=fake y trace_id=1 sig=real'), [
      ['user_agent', 'x sig=fake y'],
      ['trace_id', '1'],
      ['sig', 'real'],
    ]);
    assert.deepEqual(extensionsOf('trace_id=1 sig=real  '), [
      ['trace_id', '1'],
      ['sig', 'real'],
    ]);
  });

  test('a JSON query that never closes is split without the JSON rule', () => {
    assert.deepEqual(extensionsOf('query={"a":"b portal_id=p sig=s'), [
      ['query', '{"a":"b'],
      ['portal_id', 'p'],
      ['sig', 's'],
    ]);
  });

  test('empty values and leading or trailing spaces in values are kept', () => {
    assert.deepEqual(extensionsOf('user_agent= actor_id=  trace_id=1 request= a  '), [
      ['user_agent', ''],
      ['actor_id', ' '],
      ['trace_id', '1'],
      ['request', ' a  '],
    ]);
  });

  test('a header with no extensions has none', () => {
    assert.deepEqual(extensionsOf(''), []);
  });
});

describe('JSON typing of CEF records', () => {
  test('numbers and booleans only when the text is one; anything else stays a string', () => {
    const line = `${HEAD}rt=12x status=007 trace_id=18446744073709551615 success=TRUE granted=false kong_initiated=true src=1 action=true`;
    assert.equal(
      recordToJson(line),
      '{"action":"true","cef_version":0,"event_class_id":"konnect","event_product":"Konnect","event_ts":"2025-06-18T21:02:36Z","event_vendor":"KongInc","event_version":"1.0","granted":false,"kong_initiated":true,"name":"Authz.portals","rt":"12x","severity":1,"src":"1","status":"007","success":"TRUE","trace_id":18446744073709551615}',
    );
  });

  test('a non-numeric header severity stays a string; an extension named like a header key replaces it', () => {
    assert.equal(recordToJson('CEF:0|V|P|1|c|n|High|a=1'), '{"a":"1","cef_version":0,"event_class_id":"c","event_product":"P","event_vendor":"V","event_version":"1","name":"n","severity":"High"}');
    assert.equal(recordToJson('CEF:0|V|P|1|c|n|High|severity=9'), '{"cef_version":0,"event_class_id":"c","event_product":"P","event_vendor":"V","event_version":"1","name":"n","severity":9}');
  });

  test('strings are JSON-escaped: quotes, backslashes, control characters', () => {
    assert.equal((JSON.parse(recordToJson(`${HEAD}request=a"b\\\\c\\nd`)) as { request: string }).request, 'a"b\\c\nd');
  });
});

describe('malformed CEF', () => {
  test('a line without a CEF header is refused', () => {
    assertCefError(() => parseCef('hello world'), /no "CEF:" header/, 1);
    assertCefError(() => parseCef('  {"a":1}'), /no "CEF:" header/, 3);
  });

  test('a CEF: without a version digit and | is refused', () => {
    assertCefError(() => parseCef('CEF:x|V|P|1|c|n|1|'), /expected "CEF:<version digit>\|"/, 5);
    assertCefError(() => parseCef('CEF:10|V|P|1|c|n|1|'), /expected "CEF:<version digit>\|"/, 5);
  });

  test('text before CEF: that is not "<timestamp> <host> " is refused', () => {
    assertCefError(() => parseCef('some text here CEF:0|V|P|1|c|n|1|'), /expected "<timestamp> <host> " before "CEF:", got "some text here"/, 1);
    assertCefError(() => parseCef('hostCEF:0|V|P|1|c|n|1|'), /expected a space before "CEF:"/, 5);
  });

  test('too few header fields are refused', () => {
    assertCefError(() => parseCef('CEF:0|V|P|1|c|n|1'), /too few header fields: found 6 of 7/, 18);
    assertCefError(() => parseCef('CEF:0|V|P'), /too few header fields: found 2 of 7/, 10);
  });

  test('an unterminated escape at the end of the line is refused', () => {
    assertCefError(() => parseCef('CEF:0|V|P|1|c\\'), /unterminated escape/, 14);
    assertCefError(() => parseCef('CEF:0|V|P|1|c|n|1|rt=1 request=a\\'), /unterminated escape/, 33);
  });

  test('extension text that does not start with key= is refused', () => {
    assertCefError(() => parseCef('CEF:0|V|P|1|c|n|1|=x'), /expected an extension "key=value"/, 19);
  });
});

describe('detectFormat', () => {
  test('CPS is an object whose only key is "event" holding an object, in any JSON whitespace', () => {
    assert.equal(detectFormat('{"event":{"a":1}}'), 'cps');
    assert.equal(detectFormat(' { "event" :\t{"a":{"b":"}"}} }\r\n'), 'cps');
    assert.equal(detectFormat('{"\\u0065vent":{"a":1}}'), 'cps');
  });

  test('other objects are JSON, even with an "event" key', () => {
    for (const line of ['{"event":{"a":1},"b":2}', '{"event":"x"}', '{"events":{}}', '{"b":1,"event":{}}', '{"event":{"a":1}', '{']) {
      assert.equal(detectFormat(line), 'json', line);
    }
  });

  test('lines that are no format are undefined', () => {
    for (const line of ['', '   ', '[1,2]', 'hello', 'CEF:', 'CEF:0', 'CEF:0 |', 'text CEF:0']) assert.equal(detectFormat(line), undefined, line);
  });
});

describe('recordToJson', () => {
  test('CPS gives the inner object\'s exact text, whitespace and big integers included', () => {
    const inner = '{ "b": 1, "a" : 12345678901234567890123 ,"sig":"x"}';
    assert.equal(recordToJson(` {"event" : ${inner} } `), inner);
  });

  test('JSON is trimmed and otherwise unchanged', () => {
    assert.equal(recordToJson(' {"z":1,"a":98765432109876543210}\r\n'), '{"z":1,"a":98765432109876543210}');
  });

  test('invalid JSON raises RecordParseError', () => {
    assert.throws(() => recordToJson('{"a":'), (error: unknown) => error instanceof RecordParseError && /^invalid JSON record: /.test(error.message));
    assert.throws(() => recordToJson('{"event":{"a":}}'), (error: unknown) => error instanceof RecordParseError && /^invalid JSON inside the CPS record: /.test(error.message));
  });

  test('a line that is no format raises RecordParseError', () => {
    assert.throws(() => recordToJson('hello'), new RecordParseError('not a JSON, CPS or CEF record'));
  });

  test('a CEF line that does not parse raises RecordParseError carrying the CefParseError', () => {
    assert.throws(
      () => recordToJson('CEF:0|V|P'),
      (error: unknown) => error instanceof RecordParseError && error.cause instanceof CefParseError && /too few header fields/.test(error.message),
    );
  });

  test('a long line with many candidate boundaries parses in linear time', () => {
    const line = `${HEAD}user_agent=(${' x=1'.repeat(100_000)} query={${' portal_id=1'.repeat(100_000)}}`;
    const started = performance.now();
    const extensions = parseCef(line).extensions;
    assert.equal(extensions.length, 2);
    assert.ok(performance.now() - started < 1000, 'parsing 2 MB took more than a second');
  });
});

// Property: recordToJson inverts renderCef into exactly renderJson, for events typed as Konnect types them.

/** Printable characters, including the ones CEF values carry unescaped; no backslash (renderCef does not escape). */
const VALUE_CHAR = fc.oneof(
  fc.constantFrom(' ', '=', '(', ')', '{', '}', '[', ']', '"', ';', ':', '/', '|', ',', '.', '_', '-', '+', '*', '<', '>', '&', "'", '~', 'é', '日', '😀'),
  fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }).filter((c) => c !== '\\'),
  fc.constantFrom(' sig=', ' src=', ' trace_id=', ' x=', ' q.y='),
);
/** A key boundary ` key=` is what renderCef cannot tell from value text, so values never contain one. */
const BOUNDARY = / [A-Za-z_][A-Za-z0-9_.]*=/;
const text = fc.array(VALUE_CHAR, { maxLength: 12 }).map((parts) => parts.join('')).filter((s) => !BOUNDARY.test(s));
/** Query values are JSON, so they may contain anything JSON.stringify keeps free of backslashes. */
const queryJson = fc
  .dictionary(fc.array(VALUE_CHAR, { maxLength: 6 }).map((p) => p.join('')), fc.array(VALUE_CHAR, { maxLength: 12 }).map((p) => p.join('')), { maxKeys: 3 })
  .map((d) => JSON.stringify(d))
  .filter((s) => !/\\[\\nr=]/.test(s));

const EXTENSION_VALUES: Record<string, fc.Arbitrary<ExtensionValue>> = {
  rt: fc.maxSafeNat(),
  src: text,
  request: text,
  success: fc.boolean(),
  org_id: fc.uuid(),
  portal_id: text,
  principal_id: text,
  principal_name: text,
  actor_id: text,
  kong_initiated: fc.boolean(),
  trace_id: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  user_agent: text,
  action: text,
  granted: fc.boolean(),
  act: text,
  status: fc.integer({ min: 100, max: 599 }),
  query: queryJson,
};

const extensionsArb: fc.Arbitrary<Extension[]> = fc
  .shuffledSubarray(Object.keys(EXTENSION_VALUES))
  .chain((keys) => fc.tuple(...keys.map((key) => EXTENSION_VALUES[key]!.map((value): Extension => [key, value]))));

/** Header fields without `|` and `\\`, which renderCef does not escape. */
const headerText = fc.array(VALUE_CHAR, { maxLength: 10 }).map((p) => p.join('').replaceAll('|', '_'));
const rfc3339 = fc.date({ min: new Date(0), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString().replace(/\.\d{3}Z$/, 'Z'));
const bsdDate = fc
  .tuple(fc.constantFrom('Jan', 'Apr', 'Dec'), fc.integer({ min: 1, max: 31 }), fc.integer({ min: 0, max: 86399 }))
  .map(([month, day, s]) => `${month} ${String(day).padStart(2, ' ')} ${new Date(s * 1000).toISOString().slice(11, 19)}`);

const eventArb: fc.Arbitrary<AuditEvent> = fc.record({
  eventTs: fc.oneof(rfc3339, bsdDate),
  product: fc.constantFrom('Konnect', 'Dev-Portal'),
  eventClassId: headerText,
  name: headerText,
  severity: fc.integer({ min: 0, max: 10 }),
  extensions: extensionsArb,
});

describe('properties', () => {
  test('recordToJson(renderCef(event)) equals renderJson(event) byte for byte', () => {
    fc.assert(
      fc.property(eventArb, (event) => {
        assert.equal(recordToJson(renderCef(event)), renderJson(event));
      }),
      { numRuns: 2000 },
    );
  });

  test('a signed CEF record gives the unsigned JSON record with the CEF sig appended last', () => {
    const key = signingKeyFromSeed(Buffer.alloc(32, 1));
    fc.assert(
      fc.property(eventArb, (event) => {
        const cef = renderSigned(event, 'cef', key);
        const sig = cef.slice(cef.lastIndexOf(' sig=') + 5);
        assert.equal(recordToJson(cef), renderJson(event).slice(0, -1) + `,"sig":"${sig}"}`);
      }),
      { numRuns: 500 },
    );
  });

  test('JSON and CPS renderings are detected and given back byte for byte', () => {
    fc.assert(
      fc.property(eventArb, (event) => {
        const json = renderJson(event);
        assert.equal(detectFormat(json), 'json');
        assert.equal(detectFormat(wrapCps(json)), 'cps');
        assert.equal(detectFormat(renderCef(event)), 'cef');
        assert.equal(recordToJson(json), json);
        assert.equal(recordToJson(wrapCps(json)), json);
      }),
      { numRuns: 500 },
    );
  });

  test('a CEF-escaped value with any characters is unescaped back to itself', () => {
    const escape = (s: string): string => s.replace(/[\\=\n\r]/g, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\' + c));
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('\\', '=', '\n', '\r', ' ', 'a', 'n', 'r', ' sig', ' src', '|') }), (value) => {
        assert.deepEqual(extensionsOf(`src=1 user_agent=${escape(value)} sig=s`), [
          ['src', '1'],
          ['user_agent', value],
          ['sig', 's'],
        ]);
      }),
      { numRuns: 2000 },
    );
  });
});
