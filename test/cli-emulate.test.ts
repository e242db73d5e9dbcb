/** `konnect-audit emulate` as a real process: ready line, serving, clean stop, usage and runtime errors. */
import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, test } from 'node:test';
import { call } from './support/api.js';
import { runCli, startCli } from './support/cli.js';

const SEED = '0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20';
const REFERENCE_JWKS = '{"keys":[{"kty":"OKP","alg":"EdDSA","kid":"4e1cf1bb1520cd0d9a99ee1f4ae7521647dd6a53","crv":"Ed25519","x":"ebVWLo_mVPlAeLES6KmLp5AfhTrmlb7X4OORC60ElmQ"}]}';

describe('konnect-audit emulate', () => {
  test('prints its base URL and token as JSON, serves the API and stops cleanly on SIGTERM', async () => {
    const proc = startCli(['emulate', '--listen', '127.0.0.1:0', '--token', 'kpat_test1', '--token', 'kpat_test2', '--seed', SEED, '-o', 'json']);
    const ready = JSON.parse(await proc.firstLine()) as { base_url: string; token: string; portal_ids: string[] };
    assert.match(ready.base_url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(ready.token, 'kpat_test1');
    assert.equal(ready.portal_ids.length, 1);
    const jwks = await call(ready.base_url, 'GET', '/v2/audit-log-webhook/jwks.json');
    assert.equal(jwks.text, REFERENCE_JWKS);
    assert.equal((await call(ready.base_url, 'GET', '/v2/audit-log-webhook', { token: 'kpat_test2' })).status, 200);
    assert.equal((await call(ready.base_url, 'GET', '/v2/audit-log-webhook', { token: 'kpat_other' })).status, 401);
    proc.child.kill('SIGTERM');
    assert.equal(await proc.exited(), 0);
    assert.match(proc.stderr, /received SIGTERM, stopping emulator/);
  });

  test('generates a kpat_ token when none is given and prints one text line; SIGINT stops it', async () => {
    const proc = startCli(['emulate', '--listen', '127.0.0.1:0']);
    const line = await proc.firstLine();
    const m = /^Konnect emulator listening on (http:\/\/127\.0\.0\.1:\d+) token (kpat_[A-Za-z0-9]{46})$/.exec(line);
    assert.ok(m, line);
    assert.equal((await call(m[1]!, 'GET', '/v2/audit-log-webhook/status', { token: m[2]! })).status, 200);
    proc.child.kill('SIGINT');
    assert.equal(await proc.exited(), 0);
  });

  test('the same seed gives the same org and ids in two runs', async () => {
    const orgs: string[] = [];
    for (let i = 0; i < 2; i++) {
      const proc = startCli(['emulate', '--listen', '127.0.0.1:0', '--seed', SEED, '-o', 'json']);
      const ready = JSON.parse(await proc.firstLine()) as { base_url: string; token: string; portal_ids: string[] };
      const state = await call<{ org_id: string }>(ready.base_url, 'GET', '/_emulator/state');
      orgs.push(`${state.body.org_id} ${ready.token} ${ready.portal_ids[0]}`);
      proc.child.kill('SIGTERM');
      await proc.exited();
    }
    assert.equal(orgs[0], orgs[1]);
  });

  const usageErrors: [string[], RegExp][] = [
    [['--listen', 'nope'], /--listen must be HOST:PORT/],
    [['--listen', '127.0.0.1:70000'], /port must be between 0 and 65535/],
    [['--time-scale', '0'], /--time-scale must be a positive number/],
    [['--batch-max', '-1'], /--batch-max must be a positive integer, got "-1"/],
    [['--seed', 'abc'], /--seed: seed must be 64 hex characters/],
    [['--portal', 'p1@mars'], /--portal region must be one of/],
    [['--content-encoding', 'br'], /Allowed choices are gzip, application\/gzip/],
    [['--bogus'], /unknown option '--bogus'/],
  ];
  for (const [args, message] of usageErrors) {
    test(`usage error exits 2: emulate ${args.join(' ')}`, () => {
      const r = runCli(['emulate', ...args]);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.match(r.stderr, /Run 'konnect-audit emulate --help' for usage\./);
      assert.equal(r.stdout, '');
    });
  }

  test('a port in use is a runtime error (exit 1) that says so', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const r = runCli(['emulate', '--listen', `127.0.0.1:${port}`]);
      assert.equal(r.status, 1);
      assert.match(r.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: address already in use`));
    } finally {
      blocker.close();
    }
  });
});

describe('konnect-audit', () => {
  test('--version prints the package version', () => {
    const r = runCli(['--version']);
    assert.equal(r.status, 0);
    assert.match(r.stdout.trim(), /^\d+\.\d+\.\d+/);
  });

  test('an unknown command exits 2', () => {
    const r = runCli(['nope']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unknown command 'nope'/);
  });

  test('emulate --help teaches the flags and examples', () => {
    const r = runCli(['emulate', '--help']);
    assert.equal(r.status, 0);
    for (const text of ['--listen', '--token', '--seed', '--time-scale', '--batch-max', '--flush-ms', 'Examples:', '/_emulator/generate']) assert.ok(r.stdout.includes(text), text);
  });
});
