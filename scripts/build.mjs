// Bundles the CLI into one file: module loading is most of the start-up time of a small CLI,
// and `vault exec` runs on every bot launch.
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';
import { buildCodeCache } from './build-code-cache.mjs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
// A cache of an older bundle must never sit next to a new one: removed first, rebuilt last.
rmSync(new URL('../dist/cli.js.cache', import.meta.url), { force: true });
await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/cli.js',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // Loaded from node_modules, and only when needed: a native addon cannot be bundled, and
  // libsodium (1.2 MB of JavaScript around its WASM) is for Argon2id only, never on the
  // keychain path of `vault exec`; zxcvbn-ts and its dictionaries are for init and passwd only;
  // the YAML and TOML parsers (140 KB) are for `vault inject`.
  external: ['@napi-rs/keyring', '@node-rs/argon2', 'libsodium-wrappers-sumo', '@zxcvbn-ts/core', '@zxcvbn-ts/language-common', 'yaml', 'smol-toml'],
  define: { EXVAULT_VERSION: JSON.stringify(pkg.version) },
  // Smaller source compiles faster at every start; names are kept for error classes.
  minify: true,
  keepNames: true,
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
});
buildCodeCache();
