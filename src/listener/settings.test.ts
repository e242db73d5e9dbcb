import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UsageError } from '../cli/errors.js';
import { defaultDestinationName } from './hostName.js';
import { assertBackfillAskable, normalizePath, resolveEndpoint, validateListenFlags, type ListenFlags } from './settings.js';

const ok: ListenFlags = { endpoint: 'https://example.tld/audit-logs', authorization: 'Bearer x' };

function usage(flags: ListenFlags, message: string | RegExp): void {
  assert.throws(() => validateListenFlags(flags), (error: unknown) => {
    assert.ok(error instanceof UsageError, String(error));
    if (typeof message === 'string') assert.equal(error.message, message);
    else assert.match(error.message, message);
    return true;
  });
}

describe('listen flag validation (kongctl texts)', () => {
  test('defaults', () => {
    const s = validateListenFlags(ok);
    assert.equal(s.path, '/audit-logs');
    assert.equal(s.listenAddress, '127.0.0.1:19090');
    assert.equal(s.host, '127.0.0.1');
    assert.equal(s.port, 19090);
    assert.equal(s.maxBodyBytes, 1048576);
    assert.equal(s.logFormat, 'json');
    assert.equal(s.skipSslVerification, false);
    assert.equal(s.configureWebhook, true);
    assert.equal(s.tail, false);
    assert.equal(s.jq, undefined);
    assert.equal(s.headerTimeoutMs, 10_000);
    assert.equal(s.requestTimeoutMs, 30_000);
    assert.match(s.name, /^konnect-audit-[a-z0-9\-_.]+-\d+$/);
  });

  test('authorization is required and must not be blank', () => {
    usage({ endpoint: ok.endpoint }, 'required flag(s) "authorization" not set');
    usage({ ...ok, authorization: '   ' }, '--authorization must not be empty');
  });

  test('an endpoint form is required', () => {
    usage({ authorization: 'x' }, 'provide either --endpoint or --public-url');
  });

  test('--endpoint must be a URL and wins over --public-url', () => {
    usage({ ...ok, endpoint: 'not a url' }, /^endpoint must be a valid URL: /);
    assert.equal(validateListenFlags({ ...ok, publicUrl: 'https://other.tld' }).endpoint, 'https://example.tld/audit-logs');
  });

  test('--public-url plus --path, trailing slash trimmed, query and fragment dropped', () => {
    assert.equal(validateListenFlags({ authorization: 'x', publicUrl: 'https://h.ts.net/', path: 'hook' }).endpoint, 'https://h.ts.net/hook');
    assert.equal(validateListenFlags({ authorization: 'x', publicUrl: 'https://h.ts.net/base/?a=1#f' }).endpoint, 'https://h.ts.net/base/audit-logs');
    usage({ authorization: 'x', publicUrl: 'h.ts.net' }, 'public URL must include scheme and host');
  });

  test('--path is trimmed, empty means the default, and gets a leading slash', () => {
    assert.equal(normalizePath('  '), '/audit-logs');
    assert.equal(normalizePath(' x/y '), '/x/y');
    assert.equal(normalizePath('/z'), '/z');
    assert.equal(resolveEndpoint(undefined, 'http://a:1', '/p'), 'http://a:1/p');
  });

  test('listen address, body limit and log format', () => {
    usage({ ...ok, listenAddress: ' ' }, 'listen address cannot be empty');
    usage({ ...ok, maxBodyBytes: '0' }, 'max-body-bytes must be greater than zero');
    usage({ ...ok, maxBodyBytes: '-5' }, 'max-body-bytes must be greater than zero');
    usage({ ...ok, maxBodyBytes: 'lots' }, /^invalid argument "lots" for "--max-body-bytes" flag/);
    usage({ ...ok, logFormat: 'xml' }, 'invalid log-format "xml", allowed values are: cef, json, cps');
    assert.equal(validateListenFlags({ ...ok, logFormat: 'CEF' }).logFormat, 'cef');
  });

  test('header and request timeouts are positive durations, the request one not shorter', () => {
    const s = validateListenFlags({ ...ok, headerTimeout: '500ms', requestTimeout: '2s' });
    assert.equal(s.headerTimeoutMs, 500);
    assert.equal(s.requestTimeoutMs, 2000);
    usage({ ...ok, headerTimeout: '0s' }, '--header-timeout must be greater than zero');
    usage({ ...ok, requestTimeout: 'soon' }, 'invalid --request-timeout "soon": use a duration such as 60s, 2m, 500ms, 24h or 90d');
    usage({ ...ok, headerTimeout: '40s' }, '--request-timeout must not be shorter than --header-timeout');
  });

  test('--verify is off, warn (the default) or enforce', () => {
    assert.equal(validateListenFlags(ok).verify, 'warn');
    assert.equal(validateListenFlags({ ...ok, verify: 'ENFORCE' }).verify, 'enforce');
    assert.equal(validateListenFlags({ ...ok, verify: 'off' }).verify, 'off');
    usage({ ...ok, verify: 'strict' }, 'invalid --verify "strict", allowed values are: off, warn, enforce');
  });

  test('rotation and retention: sizes and durations, rotation at 128 MiB by default, nothing deleted by default', () => {
    const d = validateListenFlags(ok);
    assert.equal(d.rotateBytes, 128 * 1024 * 1024);
    assert.equal(d.rotateIntervalMs, undefined);
    assert.equal(d.retainMs, undefined);
    assert.equal(d.retainBytes, undefined);
    const s = validateListenFlags({ ...ok, rotateSize: '1GB', rotateInterval: '24h', retain: '90d', retainSize: '10GiB' });
    assert.deepEqual([s.rotateBytes, s.rotateIntervalMs, s.retainMs, s.retainBytes], [1e9, 86_400_000, 90 * 86_400_000, 10 * 1024 ** 3]);
    usage({ ...ok, rotateSize: 'big' }, 'invalid --rotate-size "big": use a size such as 128MiB, 1GB or 500KiB');
    usage({ ...ok, retain: '0d' }, '--retain must be greater than zero');
  });

  test('--backfill is auto (the default), off or ask', () => {
    assert.equal(validateListenFlags(ok).backfill, 'auto');
    assert.equal(validateListenFlags({ ...ok, backfill: 'OFF' }).backfill, 'off');
    assert.equal(validateListenFlags({ ...ok, backfill: 'ask' }).backfill, 'ask');
    usage({ ...ok, backfill: 'always' }, 'invalid --backfill "always", allowed values are: auto, off, ask');
  });

  test('--backfill ask needs a terminal: refused detached, or when stdin or stderr is not a terminal', () => {
    const tty = { detach: false, stdinIsTty: true, stderrIsTty: true };
    assert.doesNotThrow(() => assertBackfillAskable('ask', tty));
    assert.doesNotThrow(() => assertBackfillAskable('auto', { detach: true, stdinIsTty: false, stderrIsTty: false }));
    const refused = (terminal: typeof tty, why: string) =>
      assert.throws(() => assertBackfillAskable('ask', terminal), (error: unknown) => {
        assert.ok(error instanceof UsageError);
        assert.equal(error.message, `--backfill ask needs a terminal to ask on (${why}); use --backfill auto or --backfill off`);
        return true;
      });
    refused({ ...tty, detach: true }, 'a detached listener has no terminal');
    refused({ ...tty, stdinIsTty: false }, 'stdin is not a terminal');
    refused({ ...tty, stderrIsTty: false }, 'stderr is not a terminal');
  });

  test('--jq requires --tail', () => {
    usage({ ...ok, jq: '.name' }, '--jq requires --tail');
    assert.equal(validateListenFlags({ ...ok, jq: '.name', tail: true }).jq, '.name');
  });

  test('the default destination name is konnect-audit-<host>-<pid> with unsafe characters replaced', () => {
    assert.equal(defaultDestinationName('My Laptop.Local', 42), 'konnect-audit-my-laptop.local-42');
    assert.equal(defaultDestinationName('ÄB_c', 7), 'konnect-audit--b_c-7');
  });
});
