// The age X25519 slot primitive (src/crypto/age-x25519.ts): what loading it adds to a process
// that never uses it (X25519 is loaded on first use), against the same with noble's curve
// module loaded at start too; and the cost of one wrap and one unwrap once loaded. Bundled by
// esbuild as scripts/build.mjs bundles the CLI (CommonJS, minified).
// Usage: node bench/age-x25519.mjs [--quick]   (run with `env -u NODE_EXTRA_CA_CERTS`)
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, compare, median, ms, ratio, timeOnce } from './lib/harness.mjs';
import { main } from './lib/report.mjs';

async function bundle(dir, name, source) {
  const entry = join(dir, `${name}.ts`);
  writeFileSync(entry, source);
  const outfile = join(dir, `${name}.cjs`);
  await build({ entryPoints: [entry], outfile, bundle: true, platform: 'node', target: 'node20', format: 'cjs', minify: true, logLevel: 'warning', nodePaths: [join(ROOT, 'node_modules')] });
  return outfile;
}

/** Per-operation times (ms) measured inside one process: first use, then steady state. */
const OPS = `
const m = require(process.argv[1]);
const t = () => Number(process.hrtime.bigint()) / 1e6;
let t0 = t();
const id = m.AgeIdentity.generate();
const first = t() - t0;
const key = new Uint8Array(32);
const N = Number(process.argv[2]);
t0 = t();
let w;
for (let i = 0; i < N; i++) w = m.wrapKey(id.publicKey, key);
const wrap = (t() - t0) / N;
t0 = t();
for (let i = 0; i < N; i++) if (!m.unwrapKey(id, w.share, w.body)) throw new Error('unwrap failed');
const unwrap = (t() - t0) / N;
console.log(JSON.stringify({ first, wrap, unwrap }));`;

export async function run({ quick = false } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'exvault-bench-age-'));
  try {
    const src = join(ROOT, 'src/crypto/age-x25519').replaceAll('\\', '/');
    const lazy = await bundle(dir, 'lazy', `export * from '${src}';\n`);
    const eager = await bundle(dir, 'eager', `import { x25519 } from '@noble/curves/ed25519';\nexport const curve = x25519;\nexport * from '${src}';\n`);
    const bare = join(dir, 'bare.cjs');
    writeFileSync(bare, "require('node:crypto');\n");
    const env = { ...process.env };
    delete env.NODE_EXTRA_CA_CERTS;
    const runs = quick ? 7 : 21;
    const load = (file) => () => timeOnce(process.execPath, [file], env);
    const lazyVsBare = compare(load(lazy), load(bare), runs);
    const eagerVsBare = compare(load(eager), load(bare), runs);
    // A few milliseconds drown in a busy machine's noise; instructions counted by callgrind
    // are repeatable (DESIGN.md), when valgrind is installed.
    const instr = (file) => {
      const out = join(dir, 'callgrind.out');
      const r = spawnSync('valgrind', ['--tool=callgrind', `--callgrind-out-file=${out}`, process.execPath, file], { env });
      const m = /Collected : (\d+)/.exec(String(r.stderr));
      return m ? Number(m[1]) / 1e6 : null;
    };
    const counts = spawnSync('valgrind', ['--version']).status === 0 ? { bare: instr(bare), lazy: instr(lazy), eager: instr(eager) } : null;
    const M = (x) => (x === null ? 'n/a' : `${x.toFixed(1)}M`);
    const samples = Array.from({ length: quick ? 3 : 7 }, () => JSON.parse(spawnSync(process.execPath, ['-e', OPS, lazy, quick ? '20' : '100'], { env }).stdout.toString()));
    const pick = (k) => median(samples.map((s) => s[k]));
    return {
      title: 'age X25519 slot primitive',
      intro: `A Node process that requires the bundled module and does nothing with it, against one that requires only \`node:crypto\` (alternating runs, medians of ${runs}); the same with noble's curve module loaded eagerly. Then, inside one process: the first identity (which loads the curve), and one wrap and one unwrap of a 32-byte key once loaded (medians over processes).`,
      head: ['what', 'time', 'baseline', 'ratio', 'instructions (callgrind)', 'baseline instructions'],
      rows: [
        ['load, X25519 on first use (as shipped)', ms(lazyVsBare.a), ms(lazyVsBare.b), ratio(lazyVsBare.ratio), M(counts?.lazy ?? null), M(counts?.bare ?? null)],
        ["load, noble's curve module also loaded at start", ms(eagerVsBare.a), ms(eagerVsBare.b), ratio(eagerVsBare.ratio), M(counts?.eager ?? null), M(counts?.bare ?? null)],
        ['first identity (loads the curve)', ms(pick('first')), '', '', '', ''],
        ['one wrap (two X25519 scalar multiplications)', ms(pick('wrap')), '', '', '', ''],
        ['one unwrap (one X25519)', ms(pick('unwrap')), '', '', '', ''],
      ],
      checks: [],
      notes: ["noble's ed25519 module builds its curves and constants (JavaScript BigInt) when it loads: the difference between the first two rows, which only a command that uses an age identity pays, since the module loads it on first use."],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main(import.meta.url, run);
