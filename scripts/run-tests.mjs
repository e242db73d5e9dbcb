// Runs *.test.ts files with node:test and tsx (Node 20's --test takes no globs).
//   node scripts/run-tests.mjs [substr...]                 unit and end-to-end tests (src/, test/ minus test/reliability)
//   node scripts/run-tests.mjs --reliability [substr...]   the long reliability suite (test/reliability)
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, sep } from 'node:path';

function findTests(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return findTests(path);
    return entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

const args = process.argv.slice(2);
const reliability = args.includes('--reliability');
const filter = args.filter((a) => a !== '--reliability');
const reliabilityDir = join('test', 'reliability') + sep;
const files = ['src', 'test']
  .flatMap(findTests)
  .filter((f) => f.startsWith(reliabilityDir) === reliability)
  .filter((f) => filter.length === 0 || filter.some((s) => f.includes(s)));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
