// Bundles the CLI into two files (every command; `vault exec` alone): module loading is most
// of the start-up time of a small CLI, and `vault exec` runs on every bot launch.
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { buildCodeCache } from './build-code-cache.mjs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
// A cache of an older bundle must never sit next to a new one: removed first, rebuilt last.
for (const f of ['cli.js.cache', 'exec.js.cache']) rmSync(new URL(`../dist/${f}`, import.meta.url), { force: true });
// `import * as fs from 'node:fs'` in a bundle becomes a copy of every export of fs, made with
// one Object.defineProperty per export, once per importing file (esbuild's __toESM): 39 copies,
// about 28M instructions on every start (measured with callgrind, `vault --version`). Each
// builtin imported by our sources goes instead through one ES module made here, which reads
// the builtin's exports once. Accessors are left out: reading them loads more of Node (fs's
// ReadStream, promises; crypto's webcrypto...); a source that imports one fails the build with
// "No matching export" (then import that one from a file of its own, or list it here).
const requireHere = createRequire(import.meta.url);
const IDENT = /^[A-Za-z_$][\w$]*$/;
// Plain values on the Node that builds, but deprecated accessors (reading them prints a
// DeprecationWarning on every start) or gone on later Nodes: Node 24 has these as getters
// (DEP0176 fs.*_OK; crypto.Cipher/Decipher; util.is*, util.log). Never read, then.
const LATER_DEPRECATED = {
  'node:fs': ['F_OK', 'R_OK', 'W_OK', 'X_OK'],
  'node:crypto': ['Cipher', 'Decipher'],
  'node:util': ['isBoolean', 'isBuffer', 'isNull', 'isNullOrUndefined', 'isNumber', 'isString', 'isSymbol', 'isUndefined', 'isRegExp', 'isObject', 'isDate', 'isError', 'isFunction', 'isPrimitive', 'log', '_extend'],
};
// Accessors that a bundled dependency imports by name, read like plain exports (on first use
// of the importing module only: each builtin's module is initialised when its importer is).
// Node 22+ has async_hooks.AsyncLocalStorage as a getter (@inquirer/core imports it).
const READ_ACCESSORS = {
  'node:async_hooks': ['AsyncLocalStorage'],
};
const builtinModules = {
  name: 'builtin-modules-once',
  setup(b) {
    b.onResolve({ filter: /^node:[a-z_/]+$/ }, (a) => (a.kind === 'import-statement' && a.namespace === 'file' ? { path: a.path, namespace: 'builtin-once' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'builtin-once' }, (a) => {
      const mod = requireHere(a.path);
      const skip = new Set(LATER_DEPRECATED[a.path] ?? []);
      const read = new Set(READ_ACCESSORS[a.path] ?? []);
      const names = Object.keys(mod).filter((n) => IDENT.test(n) && n !== 'default' && !skip.has(n) && (read.has(n) || !Object.getOwnPropertyDescriptor(mod, n).get));
      const m = `m_${a.path.replace(/\W/g, '_')}`;
      return { contents: `const ${m} = require(${JSON.stringify(a.path)});\nexport default ${m};\n${names.map((n) => `export const ${n} = ${m}.${n};`).join('\n')}\n`, loader: 'js' };
    });
  },
};
await build({
  plugins: [builtinModules],
  // Two bundles: exec.js holds only `vault exec` (it starts every bot, and evaluating the other
  // commands' modules is start-up time for nothing); cli.js every command. bin/vault.js picks.
  entryPoints: { cli: 'src/cli/main.ts', exec: 'src/cli/exec-main.ts' },
  outdir: 'dist',
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
  // Non-ASCII characters escaped (esbuild's default, pinned here): bin/vault.js reads the bundle
  // as Latin-1, a plain copy into a one-byte string, where UTF-8 decoding cost ~5M instructions
  // per start. Checked below.
  charset: 'ascii',
  keepNames: true,
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
});
for (const b of ['cli.js', 'exec.js']) {
  const bytes = readFileSync(new URL(`../dist/${b}`, import.meta.url));
  if (bytes.some((c) => c > 0x7f)) throw new Error(`dist/${b} is not pure ASCII: bin/vault.js reads it as Latin-1`);
}
buildCodeCache();
