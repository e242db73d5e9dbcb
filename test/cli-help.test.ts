/** Help and version output to a reader that has gone away (`konnect-audit pull --help | head -1`) ends quietly with status 0. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, test } from 'node:test';
import { CLI } from './support/cli.js';

function withClosedStdout(args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // the reader is gone before the help is written: the write fails with EPIPE
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('close', (code) => resolve({ code, stderr })); // 'close': all of stderr read
  });
}

describe('help to a closed pipe', () => {
  for (const args of [['--help'], ['listen', '--help'], ['pull', '--help'], ['replay', '--help'], ['status', '--help'], ['--version']]) {
    test(`konnect-audit ${args.join(' ')}`, async () => {
      const { code, stderr } = await withClosedStdout(args);
      assert.equal(stderr, '');
      assert.equal(code, 0);
    });
  }
});
