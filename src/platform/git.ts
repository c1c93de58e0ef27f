// Reading a git repository for `vault scan`: every blob in its object store, streamed through
// `git cat-file --batch`; nothing secret is ever passed to git (only object ids and paths).
import { spawn, spawnSync } from 'node:child_process';

export function isGitRepo(dir: string): boolean {
  return spawnSync('git', ['-C', dir, 'rev-parse', '--git-dir'], { stdio: 'ignore' }).status === 0;
}

function gitOut(dir: string, args: string[]): string {
  const r = spawnSync('git', ['-C', dir, ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`git ${args[0]} failed`);
  return r.stdout;
}

/** Ids of every blob in the repository (reachable or not). */
export function allBlobs(dir: string): string[] {
  return gitOut(dir, ['cat-file', '--batch-all-objects', '--batch-check=%(objectname) %(objecttype)'])
    .split('\n')
    .filter((l) => l.endsWith(' blob'))
    .map((l) => l.slice(0, l.indexOf(' ')));
}

/** The staged content of each staged path, as `:path` object names. */
export function stagedPaths(dir: string): string[] {
  return gitOut(dir, ['diff', '--cached', '--name-only', '-z', '--diff-filter=ACMR']).split('\0').filter(Boolean);
}

/** Streams objects' contents (ids or `:path` names) to onObject, in order. */
export function readObjects(dir: string, names: string[], onObject: (name: string, data: Buffer) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const git = spawn('git', ['-C', dir, 'cat-file', '--batch'], { stdio: ['pipe', 'pipe', 'ignore'] });
    let buf: Buffer = Buffer.alloc(0);
    let i = 0;
    git.stdout.on('data', (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      for (;;) {
        const nl = buf.indexOf(10);
        if (nl === -1) return;
        const header = buf.subarray(0, nl).toString();
        if (header.endsWith(' missing')) {
          buf = buf.subarray(nl + 1);
          i++;
          continue;
        }
        const size = Number(header.split(' ')[2]);
        if (buf.length < nl + 1 + size + 1) return;
        onObject(names[i++]!, buf.subarray(nl + 1, nl + 1 + size));
        buf = buf.subarray(nl + 1 + size + 1);
      }
    });
    git.on('error', reject);
    git.on('close', (code) => (code === 0 ? resolve() : reject(new Error('git cat-file failed'))));
    git.stdin.end(names.map((n) => `${n}\n`).join(''));
  });
}

/** The first commit (short id) and path that added this blob, if any commit did. */
export function whereBlobAdded(dir: string, blob: string): { commit: string; path: string } | null {
  const out = gitOut(dir, ['log', '--all', '--reverse', '--format=commit %h', '--raw', '--no-abbrev', `--find-object=${blob}`]);
  let commit = '';
  for (const l of out.split('\n')) {
    if (l.startsWith('commit ')) commit = l.slice(7);
    const m = /^:\d+ \d+ [0-9a-f]+ ([0-9a-f]+) [A-Z]\d*\t(.+)$/.exec(l);
    if (m && m[1] === blob && commit) return { commit, path: m[2]! };
  }
  return null;
}

export function hooksDir(dir: string): string {
  return gitOut(dir, ['rev-parse', '--git-path', 'hooks']).trim();
}
