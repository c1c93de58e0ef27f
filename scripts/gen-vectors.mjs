// Regenerates test/vectors/*.txt from test/vectors/generate.ts.
import { build } from 'esbuild';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';

// Inside node_modules, so the bundle's external modules resolve from there.
const dir = mkdtempSync(join(process.cwd(), 'node_modules', '.exvault-gen-'));
const out = join(dir, 'generate.cjs');
// Native and WebAssembly modules load from node_modules, as in the CLI's own bundle.
await build({ entryPoints: ['test/vectors/generate.ts'], outfile: out, bundle: true, platform: 'node', format: 'cjs', logLevel: 'warning', external: ['@node-rs/argon2', '@napi-rs/keyring', 'libsodium-wrappers-sumo', 'koffi'] });
const { generateVectors } = createRequire(import.meta.url)(out);
for (const v of await generateVectors()) {
  writeFileSync(join('test/vectors', `${v.name}.txt`), v.text);
  console.log(`test/vectors/${v.name}.txt`);
}
rmSync(dir, { recursive: true, force: true });
