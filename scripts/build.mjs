// Builds the fast-starting CLI bundle, the library bundle and the demo with esbuild,
// then emits the library's type declarations with tsc.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  legalComments: 'none',
  define: { __KONNECT_AUDIT_VERSION__: JSON.stringify(pkg.version) },
  // Bundled CommonJS dependencies call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  logLevel: 'warning',
  // jq-wasm loads its .wasm file next to its own module: it stays a runtime dependency, loaded only for --jq.
  external: ['jq-wasm'],
};

// Chunk names carry a content hash: without this, every build would leave the previous ones behind.
rmSync(new URL('../dist/chunks', import.meta.url), { recursive: true, force: true });

await build({
  ...common,
  entryPoints: {
    'konnect-audit': 'src/cli/main.ts',
    index: 'src/index.ts',
    demo: 'scripts/demo.ts',
    'generator-worker': 'src/emulator/audit/generatorWorker.ts',
    'jq-worker': 'src/jq/engineWorker.ts',
  },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
});

if (!process.argv.includes('--no-types')) {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
}
