/**
 * `konnect-audit cleanup` after a kill -9 whose destination create had timed out and landed twice:
 * the recorded destination and its same-name, same-endpoint duplicate are both removed, and a
 * destination that merely shares the name is left alone.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startEmulator, type Emulator } from '../src/emulator/index.js';
import { call } from './support/api.js';
import { runCliAsync as runCli } from './support/cli.js';

let emulator: Emulator;
let home: string;

before(async () => {
  emulator = await startEmulator({ port: 0, timeScale: 0.01, flushMs: 100 });
  home = mkdtempSync(join(tmpdir(), 'konnect-audit-cleanup-'));
});
after(async () => {
  await emulator.stop();
  rmSync(home, { recursive: true, force: true });
});

async function createDestination(name: string, endpoint: string): Promise<string> {
  const r = await call<{ id: string }>(emulator.baseUrl, 'POST', '/v3/audit-log-destinations', {
    token: emulator.token,
    body: { name, endpoint, authorization: 'Bearer x', log_format: 'cef', skip_ssl_verification: false },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.id;
}

describe('cleanup', () => {
  test('also deletes a duplicate a timed-out create left, and nothing that only shares the name', async () => {
    const name = 'konnect-audit-host-default';
    const endpoint = 'http://127.0.0.1:9/audit-logs';
    const recorded = await createDestination(name, endpoint);
    const duplicate = await createDestination(name, endpoint);
    const other = await createDestination(name, 'https://siem.example.com/in');
    const bound = await call(emulator.baseUrl, 'PATCH', '/v3/audit-log-webhook', { token: emulator.token, body: { audit_log_destination_id: recorded, enabled: true } });
    assert.equal(bound.status, 200);
    const dir = join(home, 'data', 'default');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(
      join(dir, 'destination.json'),
      JSON.stringify({ destination_id: recorded, destination_name: name, destination_endpoint: endpoint, webhook_configured: true, base_url: emulator.baseUrl }),
      { mode: 0o600 },
    );

    const r = await runCli(['cleanup', '--base-url', emulator.baseUrl, '--pat', emulator.token, '--data-dir', join(home, 'data')], {
      env: { XDG_CONFIG_HOME: join(home, 'config'), HOME: home, KONNECT_TOKEN: '' },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(
      r.stdout,
      `Released the regional webhook (if bound to it) and deleted audit-log destination: ${recorded}\n` +
        `Also deleted 1 duplicate(s) with its name and endpoint that a timed-out create left: ${duplicate}\n`,
    );
    assert.deepEqual(
      emulator.inspect().destinations.map((d) => d.id),
      [other],
    );
  });
});
