// Bundles the CLI into one file: module loading is most of the start-up time of a small CLI,
// and `vault exec` runs on every bot launch.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/cli.js',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // A native addon cannot be bundled; it is loaded from node_modules.
  external: ['@napi-rs/keyring'],
  define: { EXVAULT_VERSION: JSON.stringify(pkg.version) },
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
});
