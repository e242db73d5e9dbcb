// Property-based tests of record signing and verification (reference §8): every rendering of every
// event verifies with its signer's key, and nothing else does.
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { AuditEvent, Extension, ExtensionValue } from './event.js';
import { LOG_FORMATS, renderCef, renderJson, type LogFormat } from './render.js';
import { importJwks, renderSigned, signingKeyFromSeed, splitSignature, verifyRecord, type Jwk, type SigningKey } from './signing.js';

/** A SigningKey around a key pair from node:crypto's own generator (independent of signingKeyFromSeed). */
function generatedKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const { x } = publicKey.export({ format: 'jwk' });
  return {
    privateKey,
    jwk: { kty: 'OKP', alg: 'EdDSA', crv: 'Ed25519', x: x! },
    sign: (message) => sign(null, Buffer.from(message, 'utf8'), privateKey).toString('base64url'),
  };
}

const KEYS = Array.from({ length: 4 }, generatedKey);
const PUBLIC: KeyObject[][] = KEYS.map((k) => importJwks({ keys: [k.jwk] }));
/** The k-th signing key (never undefined, which renderSigned would take as "unsigned"). */
const signer = (k: number): SigningKey => KEYS[k]!;
const keyIndex = fc.nat({ max: KEYS.length - 1 });

// ---- Events ------------------------------------------------------------------------------------

/** Text with everything CEF and JSON care about: separators, escapes, quotes, lookalike keys, controls, unicode, edge whitespace. */
const textArb: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      fc.constantFrom(' ', '=', '\\', '|', '"', '{', '}', ',', ':', '\n', '\r', '\t', '\u00a0', '\u2028', '\u3000', 'é', '日', '😀', '\ufffd', '\u0000'),
      fc.constantFrom(' sig=', 'sig=', ' src=', ',"sig":"', '"}', '\\n', '\\=', ' trace_id=1', '{"event":'),
      fc.string({ unit: 'binary', maxLength: 4 }),
      fc.string({ unit: 'grapheme-ascii', maxLength: 6 }),
    ),
    { maxLength: 10 },
  )
  .map((parts) => parts.join(''));

const valueArb: fc.Arbitrary<ExtensionValue> = fc.oneof(
  { weight: 4, arbitrary: textArb },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.maxSafeInteger() },
  { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) },
);
/** Konnect's extension keys and other plain keys (header keys and `sig` excluded: they are not extensions). */
const keyArb = fc.oneof(
  fc.constantFrom('rt', 'src', 'request', 'success', 'org_id', 'portal_id', 'principal_id', 'principal_name', 'actor_id', 'kong_initiated', 'trace_id', 'user_agent', 'action', 'granted', 'act', 'status', 'query'),
  fc.stringMatching(/^[a-z][a-z_]{0,7}$/).filter((k) => !['sig', 'cef_version', 'event_class_id', 'event_product', 'event_ts', 'event_vendor', 'event_version', 'name', 'severity'].includes(k)),
);
const extensionsArb: fc.Arbitrary<Extension[]> = fc
  .uniqueArray(fc.tuple(keyArb, valueArb), { selector: ([k]) => k, maxLength: 8 })
  .map((rest): Extension[] => [['rt', 1750280466889], ...rest.filter(([k]) => k !== 'rt')]);

const eventArb: fc.Arbitrary<AuditEvent> = fc.record({
  eventTs: fc.date({ min: new Date(0), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString().replace(/\.\d{3}Z$/, 'Z')),
  product: fc.constantFrom('Konnect', 'Dev-Portal'),
  eventClassId: textArb,
  name: textArb,
  severity: fc.integer({ min: 0, max: 10 }),
  extensions: extensionsArb,
});
const formatArb: fc.Arbitrary<LogFormat> = fc.constantFrom(...LOG_FORMATS);

/** The unsigned bytes a signed rendering covers (§8.2; CPS: the inner JSON record). */
const unsigned = (event: AuditEvent, format: LogFormat): string => (format === 'cef' ? renderCef(event) : renderJson(event));

// ---- Properties --------------------------------------------------------------------------------

describe('signing properties', () => {
  test('every format of every event verifies with its signer\'s key, alone or among others', () => {
    fc.assert(
      fc.property(eventArb, formatArb, keyIndex, fc.boolean(), (event, format, k, cefVersionAsString) => {
        const line = renderSigned(event, format, signer(k), { cefVersionAsString });
        assert.equal(verifyRecord(line, PUBLIC[k]!), 'valid', line);
        assert.equal(verifyRecord(line, importJwks({ keys: [...KEYS.map((key) => key.jwk)].reverse() })), 'valid');
        // As the receiver stores it: one line, surrounding whitespace trimmed (only CEF can carry newlines in values).
        if (!/[\r\n]/.test(line)) assert.equal(verifyRecord(`${line}\r\n`, PUBLIC[k]!), 'valid');
      }),
      { numRuns: 600 },
    );
  });

  test('the same record without a key is unsigned (or invalid when its text ends like a sig), never valid', () => {
    fc.assert(
      fc.property(eventArb, formatArb, keyIndex, (event, format, k) => {
        const line = renderSigned(event, format, undefined);
        const result = verifyRecord(line, PUBLIC[k]!);
        // JSON escapes quotes, so only CEF text can end like §8.3's `\s+sig=(\S+)\s*$`.
        if (format !== 'cef' || !/\ssig=\S*\s*$/.test(line)) assert.equal(result, 'unsigned', line);
        else assert.equal(result, 'invalid', line);
      }),
      { numRuns: 300 },
    );
  });

  test('splitSignature gives back the signature and the signed bytes (CEF: §8.3 also strips whitespace ending the last value)', () => {
    fc.assert(
      fc.property(eventArb, formatArb, keyIndex, (event, format, k) => {
        const body = unsigned(event, format);
        const sig = signer(k).sign(body);
        const parts = splitSignature(renderSigned(event, format, signer(k)));
        assert.ok(parts, 'no sig found');
        assert.equal(parts.sig, sig);
        assert.equal(parts.message, format === 'cef' ? body.replace(/\s+$/, '') : body);
      }),
      { numRuns: 500 },
    );
  });

  test('a record signed by another key is invalid', () => {
    fc.assert(
      fc.property(eventArb, formatArb, keyIndex, fc.integer({ min: 1, max: KEYS.length - 1 }), (event, format, k, offset) => {
        const line = renderSigned(event, format, signer(k));
        const others = KEYS.filter((_, i) => i !== k).map((key) => key.jwk);
        assert.equal(verifyRecord(line, PUBLIC[(k + offset) % KEYS.length]!), 'invalid');
        assert.equal(verifyRecord(line, importJwks({ keys: others })), 'invalid');
        assert.equal(verifyRecord(line, []), 'invalid');
      }),
      { numRuns: 300 },
    );
  });

  test('changing any single byte of a signed record, inside or outside the sig, never leaves it valid', () => {
    fc.assert(
      fc.property(eventArb, formatArb, keyIndex, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean(), (event, format, k, seed, value, inSig) => {
        const line = renderSigned(event, format, signer(k));
        const bytes = Buffer.from(line, 'utf8');
        const sigAt = Buffer.byteLength(line.slice(0, format === 'cef' ? line.lastIndexOf(' sig=') : line.lastIndexOf(',"sig":"')));
        // Half the changes hit the sig member and its separator, where the verifier's parsing happens.
        const pos = inSig ? sigAt + (seed % (bytes.length - sigAt)) : seed % bytes.length;
        fc.pre(bytes[pos] !== value);
        const tampered = Buffer.from(bytes);
        tampered[pos] = value;
        const text = tampered.toString('utf8');
        fc.pre(text !== line);
        // §8.3's CEF rule `\s+sig=` ignores which whitespace separates sig: a space turned into a tab there is the same record.
        if (format === 'cef' && pos === sigAt && [0x09, 0x0a, 0x0b, 0x0c, 0x0d].includes(value)) return;
        assert.notEqual(verifyRecord(text, PUBLIC[k]!), 'valid', `byte ${pos} (${bytes[pos]}) set to ${value}`);
      }),
      { numRuns: 1500 },
    );
  });

  test('any other spelling of the signature is invalid (base64url has 16 spellings of the last 4 bits)', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    fc.assert(
      fc.property(eventArb, formatArb, keyIndex, fc.integer({ min: 1, max: 63 }), (event, format, k, delta) => {
        const line = renderSigned(event, format, signer(k));
        const sig = signer(k).sign(unsigned(event, format));
        const last = alphabet[(alphabet.indexOf(sig.at(-1)!) + delta) % 64]!;
        const respelled = line.replace(sig, sig.slice(0, -1) + last);
        assert.equal(verifyRecord(respelled, PUBLIC[k]!), 'invalid', `last sig character ${sig.at(-1)} -> ${last}`);
        assert.equal(verifyRecord(line.replace(sig, `${sig}==`), PUBLIC[k]!), 'valid', 'padding is tolerated');
      }),
      { numRuns: 300 },
    );
  });

  test('verification never throws on arbitrary or near-record input, and never calls a forgery valid', () => {
    const b64 = fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_='), minLength: 80, maxLength: 90 });
    const inputArb = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.string({ maxLength: 200 }),
      fc.tuple(textArb, fc.constantFrom(' sig=', '\tsig=', ' sig= ', 'sig='), b64, fc.constantFrom('', ' ', '\r\n', '\u00a0')).map((p) => p.join('')),
      fc.tuple(fc.constantFrom('{', ' {', '{"event":{', '{"a":1'), textArb, fc.constantFrom(',"sig":"', ', "sig" : "', '"sig":"'), b64, fc.constantFrom('"}', '"}}', '"', '"} ', '"}\n}')).map((p) => p.join('')),
      eventArb.chain((event) => fc.tuple(fc.constantFrom(...LOG_FORMATS), b64).map(([format, sig]) => renderSigned(event, format, { ...KEYS[0]!, sign: () => sig }))),
    );
    fc.assert(
      fc.property(inputArb, keyIndex, (input, k) => {
        const result = verifyRecord(input, PUBLIC[k]!);
        assert.ok(result === 'invalid' || result === 'unsigned', `${result} for ${JSON.stringify(input)}`);
        const parts = splitSignature(input);
        if (parts) assert.ok(input.includes(parts.sig));
      }),
      { numRuns: 2000 },
    );
  });

  test('importJwks keeps exactly the Ed25519 keys, in order, and signingKeyFromSeed keys verify', () => {
    const otherJwk: fc.Arbitrary<Jwk> = fc.oneof(
      fc.constant<Jwk>({ kty: 'RSA', kid: 'r', x: 'AQAB' }),
      fc.constant<Jwk>({ kty: 'OKP', crv: 'X25519', x: KEYS[0]!.jwk.x! }),
      fc.constant<Jwk>({ kty: 'OKP', crv: 'Ed25519' }),
      fc.constant<Jwk>({ kty: 'EC', crv: 'P-256' }),
    );
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.array(fc.oneof(keyIndex.map((i) => KEYS[i]!.jwk), otherJwk), { maxLength: 6 }),
        eventArb,
        formatArb,
        (seed, mixed, event, format) => {
          const key = signingKeyFromSeed(Buffer.from(seed));
          assert.match(key.jwk.x!, /^[A-Za-z0-9_-]{43}$/);
          const imported = importJwks({ keys: [...mixed, key.jwk] });
          const expected = [...mixed, key.jwk].filter((j) => j.kty === 'OKP' && j.crv === 'Ed25519' && typeof j.x === 'string');
          assert.deepEqual(
            imported.map((k) => k.export({ format: 'jwk' }).x),
            expected.map((j) => j.x),
          );
          assert.equal(verifyRecord(renderSigned(event, format, key), imported), 'valid');
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('signing regressions found by the properties', () => {
  const key = signingKeyFromSeed(Buffer.alloc(32, 3));
  const keys = importJwks({ keys: [key.jwk] });
  const event = (userAgent: string): AuditEvent => ({
    eventTs: '2025-06-18T21:02:36Z',
    product: 'Konnect',
    eventClassId: 'konnect',
    name: 'Authz.portals',
    severity: 1,
    extensions: [['rt', 1750280466889], ['user_agent', userAgent]],
  });

  test('a CEF record whose last value ends in whitespace verifies (was invalid: §8.3 stripped the signed whitespace)', () => {
    for (const userAgent of ['x ', 'x\t', 'x\u00a0', '  ', 'x\n']) {
      assert.equal(verifyRecord(renderSigned(event(userAgent), 'cef', key), keys), 'valid', JSON.stringify(userAgent));
    }
    // The whitespace is signed: dropping or changing it is not the same record.
    const line = renderSigned(event('x '), 'cef', key);
    assert.equal(verifyRecord(line.replace('x  sig=', 'x sig='), keys), 'invalid');
    assert.equal(verifyRecord(line.replace('x  sig=', 'x\t sig='), keys), 'invalid');
  });

  test('a non-canonical spelling of the signature is invalid (was valid: the last character has 4 unused bits)', () => {
    const line = renderSigned(event('x'), 'cef', key);
    assert.ok(line.endsWith('g'));
    assert.equal(verifyRecord(line, keys), 'valid');
    assert.equal(verifyRecord(`${line.slice(0, -1)}h`, keys), 'invalid');
  });

  test('a CPS record followed by a line terminator verifies like JSON and CEF ones (was invalid)', () => {
    for (const format of LOG_FORMATS) assert.equal(verifyRecord(`${renderSigned(event('x'), format, key)}\r\n`, keys), 'valid', format);
  });

  test('kept as the reference says (§8.3 `\\s+sig=`): any whitespace may separate the CEF sig', () => {
    assert.equal(verifyRecord(renderSigned(event('x'), 'cef', key).replace(' sig=', '\tsig='), keys), 'valid');
  });
});
