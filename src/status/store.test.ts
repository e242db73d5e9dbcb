import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { profilePaths } from '../store/paths.js';
import { storeSummary } from './store.js';

const json = (rt: number) => JSON.stringify({ name: 'Authz.x', event_class_id: 'iam', rt, sig: 'x' });

describe('storeSummary', () => {
  it('counts records over gzip and plain segments and events.jsonl, sizes them, finds the newest; quarantine apart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'status-store-'));
    try {
      const paths = profilePaths(dataDir, 'p');
      assert.deepEqual(await storeSummary(paths), { dir: paths.dir, records: 0, size_bytes: 0, segments: 0, active_file: false, newest_record_at: null, quarantined: 0 });
      await mkdir(paths.dir, { recursive: true });
      const gz = gzipSync(`${json(1000)}\n${json(2000)}\n`);
      const plain = `${json(3000)}\n\n${json(4000)}\n`;
      const active = `${json(6000)}\n${json(5000)}\n`;
      const quarantine = `${json(7000)}\n`;
      await writeFile(join(paths.dir, 'events-20260101T000000Z-20260101T010000Z.jsonl.gz'), gz);
      await writeFile(join(paths.dir, 'events-20260101T010000Z-20260101T020000Z.jsonl'), plain);
      await writeFile(paths.eventsFile, active);
      await writeFile(paths.quarantineFile, quarantine);
      await writeFile(join(paths.dir, 'jwks.json'), '{"keys":[]}');
      assert.deepEqual(await storeSummary(paths), {
        dir: paths.dir,
        records: 6,
        size_bytes: gz.length + plain.length + active.length + quarantine.length,
        segments: 2,
        active_file: true,
        newest_record_at: '1970-01-01T00:00:06.000Z',
        quarantined: 1,
      });
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
