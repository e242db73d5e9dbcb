/**
 * Ed25519 signing and verification of audit records (reference §8).
 * Signed bytes: the record without its `sig` (CEF: without the trailing ` sig=...`;
 * JSON: without the trailing `,"sig":"..."`; CPS: the inner JSON object, by the JSON rule).
 * Records carry no `kid`, so verification tries every key of the JWKS.
 * Records of the pull API (`GET /v3/audit-logs`) carry `signature` instead of `sig`; which bytes it
 * covers is unconfirmed: the emulator's scheme is assumed (pullSignedMessage).
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import type { AuditEvent } from './event.js';
import { renderCef, renderJson, unwrapCps, wrapCps, type JsonRenderOptions, type LogFormat } from './render.js';

/** One JSON Web Key as Konnect's `/v2/audit-log-webhook/jwks.json` serves it. */
export interface Jwk {
  readonly kty: string;
  readonly alg?: string;
  readonly kid?: string;
  readonly crv?: string;
  readonly x?: string;
}

/** A JSON Web Key Set. */
export interface Jwks {
  readonly keys: readonly Jwk[];
}

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** An Ed25519 signing key with its public JWK. */
export interface SigningKey {
  readonly privateKey: KeyObject;
  readonly jwk: Jwk;
  /** Signs bytes and returns the unpadded base64url signature (86 characters). */
  sign(message: string): string;
}

/**
 * Builds a signing key from a 32-byte seed. The `kid` is the SHA-1 hex of the raw public key,
 * the convention of the reference's test vectors (§8.5).
 * @example signingKeyFromSeed(Buffer.from('0102...1f20', 'hex')).jwk.x // 'ebVWLo_mVPlAeLES6KmLp5AfhTrmlb7X4OORC60ElmQ'
 */
export function signingKeyFromSeed(seed: Buffer): SigningKey {
  if (seed.length !== 32) throw new RangeError(`an Ed25519 seed is 32 bytes, got ${seed.length}`);
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const x = createPublicKey(privateKey).export({ format: 'jwk' }).x!;
  const kid = createHash('sha1').update(Buffer.from(x, 'base64url')).digest('hex');
  const jwk: Jwk = { kty: 'OKP', alg: 'EdDSA', kid, crv: 'Ed25519', x };
  return {
    privateKey,
    jwk,
    sign: (message) => sign(null, Buffer.from(message, 'utf8'), privateKey).toString('base64url'),
  };
}

/**
 * Renders an event in a wire format and signs it (reference §8.4).
 * Pass no key to produce an unsigned record ("`sig` present only when signing is configured").
 */
export function renderSigned(event: AuditEvent, format: LogFormat, key: SigningKey | undefined, options: JsonRenderOptions = {}): string {
  // Joined arrays give flat strings, which later byte counting and encoding read without flattening.
  if (format === 'cef') {
    const body = renderCef(event);
    return key ? [body, ' sig=', key.sign(body)].join('') : body;
  }
  const body = renderJson(event, options);
  const signed = key ? [body.slice(0, -1), ',"sig":"', key.sign(body), '"}'].join('') : body;
  return format === 'cps' ? wrapCps(signed) : signed;
}

/** The signed message and signature carried by a record line. */
export interface SignedParts {
  /** The exact bytes that were signed. */
  readonly message: string;
  /** The base64url signature as found in the record. */
  readonly sig: string;
}

const JSON_SIG_AT_END = /,"sig":"([A-Za-z0-9_-]*)"\}\s*$/;
const JSON_SIG_ANYWHERE = /,\s*"sig"\s*:\s*"([^"]*)"/;
const CEF_SIG_AT_END = /\s+sig=(\S*)\s*$/;
/** 64 bytes in unpadded base64url (padding tolerated, as some verifiers add it). */
const SIG_SHAPE = /^[A-Za-z0-9_-]{86}(==)?$/;

/**
 * Splits a record line (CEF, JSON or CPS) into the signed message and its `sig`,
 * following the reference's verification procedure (§8.3). Undefined when the line carries no `sig`.
 */
export function splitSignature(line: string): SignedParts | undefined {
  // Surrounding whitespace (a line terminator) is never signed; CPS must lose it before unwrapping.
  const trimmed = line.trim();
  if (trimmed.startsWith('{')) {
    const json = unwrapCps(trimmed) ?? trimmed;
    const atEnd = JSON_SIG_AT_END.exec(json);
    if (atEnd) return { message: json.slice(0, atEnd.index) + '}', sig: atEnd[1]! };
    const anywhere = JSON_SIG_ANYWHERE.exec(json);
    if (anywhere) return { message: json.slice(0, anywhere.index) + json.slice(anywhere.index + anywhere[0].length), sig: anywhere[1]! };
    return undefined;
  }
  const cef = CEF_SIG_AT_END.exec(line);
  return cef ? { message: line.slice(0, cef.index), sig: cef[1]! } : undefined;
}

/**
 * The bytes a pull API record's `signature` covers, as assumed (Konnect does not document it; the
 * emulator signs this way): the record's compact JSON, top-level keys sorted, without `signature`.
 * @example pullSignedMessage({ type: 'authorization', ts: '2026-11-27T17:00:00Z', signature: 'x' }) // '{"ts":"2026-11-27T17:00:00Z","type":"authorization"}'
 */
export function pullSignedMessage(record: Readonly<Record<string, unknown>>): string {
  const keys = Object.keys(record)
    .filter((k) => k !== 'signature')
    .sort();
  return '{' + keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(record[k])}`).join(',') + '}';
}

/**
 * A record of the pull API (`GET /v3/audit-logs`): a JSON object with `signature` and `ts` and no
 * `sig`. Undefined for anything else (webhook records, lines that are not JSON).
 */
export function parsePullRecord(line: string): Readonly<Record<string, unknown>> | undefined {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{') || !trimmed.includes('"signature"')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  return typeof record.signature === 'string' && typeof record.ts === 'string' && !('sig' in record) ? record : undefined;
}

/** Imports the Ed25519 keys of a JWKS; other key types are ignored. */
export function importJwks(jwks: Jwks): KeyObject[] {
  return jwks.keys
    .filter((k) => k.kty === 'OKP' && k.crv === 'Ed25519' && typeof k.x === 'string')
    .map((k) => createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: k.x! }, format: 'jwk' }));
}

/** Outcome of checking one record. */
export type Verification = 'valid' | 'invalid' | 'unsigned';

/** What a line offers to verify: the candidate signed messages and the signature, or the verdict already. */
type Candidates = { readonly messages: readonly Buffer[]; readonly sig: Buffer } | 'invalid' | 'unsigned';

/** Checks a signature's spelling and decodes it: only the canonical unpadded base64url of 64 bytes. */
function decodeSig(text: string): Buffer | undefined {
  if (!SIG_SHAPE.test(text)) return undefined;
  const sig = Buffer.from(text, 'base64url');
  // 86 characters carry 516 bits for 512: only the canonical spelling (unused bits zero) is the signature,
  // so one signature never has 16 spellings (which would defeat deduplication on `sig`).
  return sig.toString('base64url') === text.replace(/==$/, '') ? sig : undefined;
}

/** A pull record's candidate: its `signature` over the sorted compact JSON (pullSignedMessage). */
function pullCandidates(line: string): Candidates {
  const record = parsePullRecord(line);
  if (!record) return 'unsigned';
  const text = record.signature as string;
  if (text === '') return 'unsigned';
  const sig = decodeSig(text);
  return sig ? { messages: [Buffer.from(pullSignedMessage(record), 'utf8')], sig } : 'invalid';
}

function candidates(line: string): Candidates {
  const parts = splitSignature(line);
  if (!parts) return pullCandidates(line);
  const sig = decodeSig(parts.sig);
  if (!sig) return 'invalid';
  const messages = [parts.message];
  // §8.3's CEF rule `\s+sig=` also strips whitespace that ends the last value, which the signer signed
  // (§8.2: only " sig=<b64u>" is removed): try the line without just the one separator too.
  if (!line.trimStart().startsWith('{')) {
    const separator = line.indexOf('sig=', parts.message.length) - 1;
    if (separator > parts.message.length) messages.push(line.slice(0, separator));
  }
  return { messages: messages.map((m) => Buffer.from(m, 'utf8')), sig };
}

/**
 * Verifies one record line against every key (records carry no `kid`).
 * @example verifyRecord(line, importJwks(await (await fetch(jwksUrl)).json())) // 'valid'
 */
export function verifyRecord(line: string, keys: readonly KeyObject[]): Verification {
  const c = candidates(line);
  if (typeof c === 'string') return c;
  return c.messages.some((message) => keys.some((key) => verify(null, message, key, c.sig))) ? 'valid' : 'invalid';
}

/**
 * As verifyRecord, with the Ed25519 checks run on libuv's thread pool (node:crypto's callback form),
 * so verifying a 2,000-record batch neither blocks the event loop nor stays on one core.
 */
export async function verifyRecordAsync(line: string, keys: readonly KeyObject[]): Promise<Verification> {
  const c = candidates(line);
  if (typeof c === 'string') return c;
  for (const message of c.messages) {
    for (const key of keys) {
      const ok = await new Promise<boolean>((resolve, reject) => verify(null, message, key, c.sig, (error, result) => (error ? reject(error) : resolve(result))));
      if (ok) return 'valid';
    }
  }
  return 'invalid';
}
