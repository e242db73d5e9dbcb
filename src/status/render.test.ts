import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatBytes, renderStatusText, type StatusReport } from './render.js';

const NOW = Date.parse('2026-11-27T12:00:00Z');

describe('formatBytes', () => {
  it('uses B below a KiB, then one decimal', () => {
    assert.deepEqual([0, 1023, 1536, 5 * 1024 * 1024, 3 * 1024 ** 3].map(formatBytes), ['0 B', '1023 B', '1.5 KiB', '5.0 MiB', '3.0 GiB']);
  });
});

describe('renderStatusText', () => {
  const report: StatusReport = {
    generated_at: '2026-11-27T12:00:00.000Z',
    konnect: {
      base_url: 'https://eu.api.konghq.com',
      webhook: { endpoint: 'https://me.ts.net/audit-logs', enabled: true, log_format: 'json', skip_ssl_verification: false, destination_id: 'd-1', updated_at: null },
      status: { webhook_status: 'active', webhook_enabled: true, last_attempt_at: '2026-11-27T11:57:00Z', last_response_code: 202, last_response_message: 'Accepted' },
      replay_job: { status: 'completed', start_at: '2026-11-27T06:00:00Z', end_at: '2026-11-27T07:00:00Z', updated_at: '2026-11-27T11:00:00Z' },
    },
    local: {
      profile: 'default',
      data_dir: '/data',
      listener: { state: 'running', pid: 42, started_at: '2026-11-27T10:00:00Z', local_endpoint: 'http://127.0.0.1:19090/audit-logs', endpoint: 'https://me.ts.net/audit-logs', destination_id: 'd-1' },
      detached: [{ pid: 43, status: 'exited', profile: 'other', endpoint: null, local_endpoint: null, destination_id: null, created_at: '2026-11-27T09:00:00Z' }],
      webhook_target: { target: 'listener', listener_endpoints: ['https://me.ts.net/audit-logs'] },
    },
    store: { dir: '/data/default', records: 12_345, size_bytes: 2048, segments: 1, active_file: true, newest_record_at: '2026-11-27T11:57:00.000Z', quarantined: 2 },
    advice: [],
  };

  it('prints aligned sections: Konnect, Local, Store', () => {
    assert.equal(
      renderStatusText(report, NOW),
      [
        'Konnect: region https://eu.api.konghq.com',
        '  webhook:         https://me.ts.net/audit-logs',
        '  enabled:         true',
        '  log format:      json',
        '  skip TLS verify: false',
        '  destination:     d-1',
        '  authorization:   not shown (write-only in Konnect)',
        '  status:          active (enabled)',
        '  last attempt:    2026-11-27T11:57:00Z (3 min ago)',
        '  last response:   202 Accepted',
        '  replay job:      completed, 2026-11-27T06:00:00Z to 2026-11-27T07:00:00Z, updated 2026-11-27T11:00:00Z (60 min ago)',
        '',
        'Local: profile default (/data)',
        '  listener:        running, pid 42, since 2026-11-27T10:00:00Z (2 h ago)',
        '  serves:          http://127.0.0.1:19090/audit-logs',
        '  endpoint:        https://me.ts.net/audit-logs',
        '  detached:        pid 43 exited, profile other',
        '  webhook target:  this machine: the webhook points at a running listener',
        '',
        'Store: /data/default',
        '  records:         12,345 (counted)',
        '  size:            2.0 KiB in 1 segment + events.jsonl',
        '  newest record:   2026-11-27T11:57:00.000Z (3 min ago)',
        '  quarantined:     2 (failed signature checks; quarantine.jsonl)',
        '',
      ].join('\n'),
    );
  });

  it('shows a failed section in its place, and one error line when Konnect is unreachable', () => {
    const partial = renderStatusText({ ...report, konnect: { ...report.konnect, replay_job: { error: 'boom (500)' } } }, NOW);
    assert.match(partial, /^ {2}replay job: +error: boom \(500\)$/m);
    assert.match(partial, /^ {2}status: +active/m);
    const down = renderStatusText({ ...report, konnect: { ...report.konnect, error: 'Konnect is unreachable at https://eu.api.konghq.com: ECONNREFUSED' } }, NOW);
    assert.match(down, /^Konnect: region https:\/\/eu\.api\.konghq\.com\n {2}error: +Konnect is unreachable/);
    assert.doesNotMatch(down, /webhook:/);
  });
});
