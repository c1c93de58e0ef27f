// Regenerates test/vectors/*.txt from test/vectors/generate.ts.
import { build } from 'esbuild';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const dir = mkdtempSync(join(tmpdir(), 'exvault-gen-'));
const out = join(dir, 'generate.cjs');
await build({ entryPoints: ['test/vectors/generate.ts'], outfile: out, bundle: true, platform: 'node', format: 'cjs', logLevel: 'warning' });
const { generateVectors } = createRequire(import.meta.url)(out);
for (const v of await generateVectors()) {
  writeFileSync(join('test/vectors', `${v.name}.txt`), v.text);
  console.log(`test/vectors/${v.name}.txt`);
}
rmSync(dir, { recursive: true, force: true });
