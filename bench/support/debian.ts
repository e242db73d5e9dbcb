/** Installing the Debian packages a benchmark compares against (the bench may; tests never do). */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Whether `check` (a command name or an absolute file path) is present. */
function present(check: string): boolean {
  return check.startsWith('/') ? existsSync(check) : spawnSync('sh', ['-c', `command -v ${check}`]).status === 0;
}

/**
 * Installs the packages whose check is missing; returns the checks that are present afterwards.
 * @example ensurePackages({ wrk: 'wrk', hyperfine: 'hyperfine' })
 */
export function ensurePackages(packages: Readonly<Record<string, string>>): Set<string> {
  const missing = Object.entries(packages).filter(([, check]) => !present(check)).map(([name]) => name);
  if (missing.length > 0) {
    const list = missing.join(' ');
    const apt = spawnSync('sh', ['-c', `(apt-get install -y ${list} || (apt-get update && apt-get install -y ${list})) >/dev/null 2>&1`]);
    if (apt.status !== 0) console.error(`bench: could not install ${list}; their rows are left out`);
  }
  return new Set(Object.values(packages).filter(present));
}
