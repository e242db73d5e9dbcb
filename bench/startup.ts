/** CLI start-up time: hyperfine runs each command many times, `node -e 0` being the floor. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface StartupRow {
  readonly command: string;
  readonly meanMs: number;
  readonly stddevMs: number;
  readonly ratio: number;
}

const CLI = fileURLToPath(new URL('../dist/konnect-audit.mjs', import.meta.url));

export function benchStartup(scale: number): StartupRow[] {
  const dir = mkdtempSync(join(tmpdir(), 'konnect-audit-bench-startup-'));
  const json = join(dir, 'hyperfine.json');
  const node = process.execPath;
  const commands: [string, string][] = [
    ['node -e 0', `${node} -e 0`],
    ['konnect-audit --version', `${node} ${CLI} --version`],
    ['konnect-audit ps', `${node} ${CLI} ps`],
    ['konnect-audit listen --help', `${node} ${CLI} listen --help`],
  ];
  try {
    const runs = String(Math.max(10, Math.round(40 * scale)));
    const args = ['-N', '--warmup', '3', '--runs', runs, '--export-json', json, ...commands.flatMap(([name, command]) => ['-n', name, command])];
    // An empty config dir, so `ps` starts from nothing to list.
    const result = spawnSync('hyperfine', args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, XDG_CONFIG_HOME: dir } });
    if (result.status !== 0) throw new Error(`hyperfine exited with ${result.status}`);
    const { results } = JSON.parse(readFileSync(json, 'utf8')) as { results: { command: string; mean: number; stddev: number }[] };
    const floor = results[0]!.mean;
    return results.map((r) => ({ command: r.command, meanMs: r.mean * 1000, stddevMs: r.stddev * 1000, ratio: r.mean / floor }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
