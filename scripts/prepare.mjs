// npm's `prepare`: builds dist/ when the package is installed or packed from its source (a
// clone, `npm install -g .`, `npm pack`, a git dependency). The bundle is made by esbuild from
// development dependencies (esbuild itself, commander, the prompts...: none is needed at run
// time). When they are not installed (`npm install -g .` and `npm install --omit=dev` omit
// them), the build runs in a temporary copy of the sources with exactly the locked
// development dependencies (`npm ci`, integrity-checked), and only dist/ comes back.
// `npm install -g .` links the global command to this folder without installing its
// dependencies into it (npm's rule for a folder outside the root being installed): then the
// run-time ones are installed here, as locked.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

const installed = (name) => existsSync(join(root, 'node_modules', name, 'package.json'));

// An enclosing `npm install -g` or `--omit=dev` passes its settings down through npm_config_*;
// the installs made here are plain local ones.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_config_/i.test(k) || /^npm_config_(cache|registry|userconfig|globalconfig|prefer_offline|prefer_online|offline|strict_ssl|cafile|proxy|https_proxy|noproxy)$/i.test(k)));
const npmCommand = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : ['npm'];
function npm(args, cwd) {
  execFileSync(npmCommand[0], [...npmCommand.slice(1), ...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, env, stdio: ['ignore', 2, 'inherit'] });
}

// A git dependency is prepared in a clone under npm's cache, then packed: no link, nothing to install.
const cache = process.env.npm_config_cache;
const packedFromCache = cache !== undefined && !relative(resolve(cache), root).startsWith('..');
const global = process.env.npm_config_global === 'true';
if (global && !packedFromCache && !Object.keys(pkg.dependencies).every(installed)) {
  npm(['ci', '--omit=dev', '--ignore-scripts'], root);
}

if (packedFromCache && ['cli.js.cache', 'exec.js.cache'].every((f) => existsSync(join(root, 'dist', f)))) {
  // npm runs prepare twice in the clone of a git dependency (its install, then its pack).
} else if (installed('esbuild')) {
  await import('./build.mjs');
} else {
  const dir = mkdtempSync(join(tmpdir(), 'exvault-build-'));
  try {
    console.error('exvault: development dependencies are not installed; building dist/ in a temporary copy with the locked ones');
    const skip = new Set(['node_modules', 'dist', '.git', '.test-results']);
    cpSync(root, dir, { recursive: true, filter: (p) => !skip.has(relative(root, p).split(/[\\/]/)[0]) });
    npm(['ci', '--include=dev', '--ignore-scripts'], dir);
    execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: dir, env, stdio: ['ignore', 2, 'inherit'] });
    rmSync(join(root, 'dist'), { recursive: true, force: true });
    cpSync(join(dir, 'dist'), join(root, 'dist'), { recursive: true });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
