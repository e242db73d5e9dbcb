import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { signingKeyFromSeed, type Jwks } from '../records/signing.js';
import { Keyring, parseJwks, readJwksFile } from './keyring.js';

const oldKey = signingKeyFromSeed(Buffer.alloc(32, 1));
const newKey = signingKeyFromSeed(Buffer.alloc(32, 2));
const jwksOf = (...keys: (typeof oldKey)[]): Jwks => ({ keys: keys.map((k) => k.jwk) });
const record = (key: typeof oldKey, body = '{"name":"Authz.x","rt":1}') => `${body.slice(0, -1)},"sig":"${key.sign(body)}"}`;
const dir = mkdtempSync(join(tmpdir(), 'konnect-audit-keyring-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A fake JWKS endpoint whose answer the test changes, counting calls. */
function endpoint(initial: Jwks | Error) {
  const state = { answer: initial, calls: 0 };
  return {
    state,
    fetch: () => {
      state.calls++;
      return state.answer instanceof Error ? Promise.reject(state.answer) : Promise.resolve(state.answer);
    },
  };
}

describe('Keyring', () => {
  test('keys are fetched once and kept for the TTL, then fetched again', async () => {
    let now = 0;
    const api = endpoint(jwksOf(oldKey));
    const keyring = new Keyring({ fetch: api.fetch, ttlMs: 1000, now: () => now });
    await Promise.all([keyring.keys(), keyring.keys()]);
    assert.equal(api.state.calls, 1, 'concurrent callers share one fetch');
    now = 999;
    await keyring.keys();
    assert.equal(api.state.calls, 1);
    now = 1000;
    await keyring.keys();
    assert.equal(api.state.calls, 2);
  });

  test('a record signed with a rotated-in key verifies after one refresh; refreshes are rate-limited', async () => {
    let now = 0;
    const api = endpoint(jwksOf(oldKey));
    const keyring = new Keyring({ fetch: api.fetch, minRefreshMs: 60_000, now: () => now });
    assert.equal(await keyring.verifyAsync(record(oldKey)), 'valid');
    api.state.answer = jwksOf(newKey, oldKey);
    assert.equal(await keyring.verifyAsync(record(newKey)), 'valid');
    assert.equal(api.state.calls, 2);
    // A forged record does not make every record a fetch.
    const forged = signingKeyFromSeed(Buffer.alloc(32, 9));
    now = 1000;
    assert.equal(await keyring.verifyAsync(record(forged)), 'invalid');
    assert.equal(await keyring.verify(record(forged)), 'invalid');
    assert.equal(api.state.calls, 2);
    now = 61_000;
    assert.equal(await keyring.verifyAsync(record(forged)), 'invalid');
    assert.equal(api.state.calls, 3);
  });

  test('after a rotation, a whole batch checked at once is valid with one refresh', async () => {
    const api = endpoint(jwksOf(oldKey));
    const keyring = new Keyring({ fetch: api.fetch });
    await keyring.keys();
    api.state.answer = jwksOf(newKey, oldKey);
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => keyring.verifyAsync(record(newKey, `{"n":${i}}`))));
    assert.deepEqual(new Set(results), new Set(['valid']));
    assert.equal(api.state.calls, 2);
  });

  test('unsigned records never cause a fetch beyond the first', async () => {
    const api = endpoint(jwksOf(oldKey));
    const keyring = new Keyring({ fetch: api.fetch });
    assert.equal(await keyring.verifyAsync('{"name":"x"}'), 'unsigned');
    assert.equal(await keyring.verifyAsync('CEF:0|KongInc|Konnect|1.0|x|y|1|rt=1'), 'unsigned');
    assert.equal(api.state.calls, 1);
  });

  test('each fetch is saved (0600) beside the events, and read back when Konnect cannot be reached', async () => {
    const cacheFile = join(dir, 'jwks.json');
    const api = endpoint(jwksOf(oldKey));
    await new Keyring({ fetch: api.fetch, cacheFile }).keys();
    assert.equal(statSync(cacheFile).mode & 0o777, 0o600);
    assert.deepEqual(await readJwksFile(cacheFile), jwksOf(oldKey));
    const offline = new Keyring({ fetch: endpoint(new Error('connect ECONNREFUSED')).fetch, cacheFile });
    assert.equal(await offline.verifyAsync(record(oldKey)), 'valid');
  });

  test('without keys from Konnect or a saved copy, verifying rejects with the fetch error; later it tries again', async () => {
    let now = 0;
    const api = endpoint(new Error('connect ECONNREFUSED'));
    const keyring = new Keyring({ fetch: api.fetch, minRefreshMs: 5000, ttlMs: 600_000, now: () => now });
    await assert.rejects(keyring.verifyAsync(record(oldKey)), /ECONNREFUSED/);
    api.state.answer = jwksOf(oldKey);
    assert.equal(await keyring.verifyAsync(record(oldKey)), 'valid');
    // Stale keys are kept when Konnect goes away again, and it is not asked on every record.
    api.state.answer = new Error('connect ECONNREFUSED');
    now = 600_000;
    assert.equal(await keyring.verifyAsync(record(oldKey)), 'valid');
    const calls = api.state.calls;
    now = 601_000;
    assert.equal(await keyring.verifyAsync(record(oldKey)), 'valid');
    assert.equal(api.state.calls, calls);
  });

  test('a JWKS without Ed25519 keys, or not a JWKS, is refused with the place it came from', async () => {
    assert.throws(() => parseJwks({ keys: [{ kty: 'RSA' }] }, 'x.json'), /x.json holds no Ed25519 key/);
    assert.throws(() => parseJwks([], 'y.json'), /y.json is not a JWKS/);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{');
    await assert.rejects(readJwksFile(bad), /bad.json is not JSON/);
    assert.equal(await readJwksFile(join(dir, 'missing.json')), undefined);
  });
});
