import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { signingKeyFromSeed } from '../records/signing.js';
import { Keyring } from '../signatures/keyring.js';
import { RecordVerifier } from './verification.js';

const key = signingKeyFromSeed(Buffer.alloc(32, 7));
const signed = (n: number) => {
  const body = `{"name":"Authz.x","rt":${n}}`;
  return Buffer.from(`${body.slice(0, -1)},"sig":"${key.sign(body)}"}`);
};
const tampered = (n: number) => Buffer.from(signed(n).toString().replace(`"rt":${n}`, `"rt":${n + 1}`));
const unsigned = Buffer.from('{"name":"Authz.x","rt":0}');

function verifier(fetchOk = true) {
  const warnings: string[] = [];
  const keyring = new Keyring({ fetch: () => (fetchOk ? Promise.resolve({ keys: [key.jwk] }) : Promise.reject(new Error('connect ECONNREFUSED'))) });
  return { warnings, verifier: new RecordVerifier(keyring, (m) => warnings.push(m)) };
}

describe('RecordVerifier', () => {
  test('enforce: valid records are accepted in order, invalid and unsigned ones quarantined', async () => {
    const { verifier: v, warnings } = verifier();
    const records = [signed(1), tampered(2), signed(3), unsigned, signed(4)];
    const { accepted, quarantined } = await v.partition(records);
    assert.deepEqual(accepted, [records[0], records[2], records[4]]);
    assert.deepEqual(quarantined, [records[1], records[3]]);
    assert.deepEqual(v.counts, { valid: 3, invalid: 1, unsigned: 1, unchecked: 0 });
    // Checks run concurrently, so warnings come in the order checks finish.
    assert.equal(warnings.length, 2);
    assert.ok(warnings.some((w) => /failed its signature check: \{"name":"Authz.x","rt":3,"sig"/.test(w)), warnings.join('\n'));
    assert.ok(warnings.some((w) => w === 'warning: a record carries no signature: {"name":"Authz.x","rt":0}'), warnings.join('\n'));
    assert.equal(v.summary(), 'signatures: 3 valid, 1 invalid, 1 unsigned');
  });

  test('warn: records are checked in the background; idle() waits for the checks', async () => {
    const { verifier: v } = verifier();
    v.checkLater(Array.from({ length: 300 }, (_, i) => signed(i)));
    v.checkLater([tampered(1)]);
    await v.idle();
    assert.deepEqual(v.counts, { valid: 300, invalid: 1, unsigned: 0, unchecked: 0 });
  });

  test('without keys, records count as unchecked (enforce quarantines them) and the problem is reported once', async () => {
    const { verifier: v, warnings } = verifier(false);
    const { accepted, quarantined } = await v.partition([signed(1), signed(2)]);
    assert.equal(accepted.length, 0);
    assert.equal(quarantined.length, 2);
    assert.deepEqual(v.counts, { valid: 0, invalid: 0, unsigned: 0, unchecked: 2 });
    assert.deepEqual(warnings, ['warning: cannot check signatures: connect ECONNREFUSED']);
    assert.equal(v.summary(), 'signatures: 0 valid, 0 invalid, 0 unsigned, 2 unchecked');
  });
});
