// vault scan: find the vault's secret values (every version) in files, staged changes, or a
// repository's whole history. Reports name the entry and field, never the value.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXIT, UsageError } from '../errors';
import { Hit, NeedleMatcher } from '../domain/needle-matcher';
import { needlesFor } from '../domain/secret-encodings';
import { MAX_SCAN_FILE_BYTES, scanFileReader, walkFiles } from '../platform/files';
import { readCapped } from '../platform/secret-input';
import { allBlobs, hooksDir, isGitRepo, readObjects, stagedPaths, whereBlobAdded } from '../platform/git';
import type { AppContext } from './ports';
import { openSession } from './session';

export interface Finding extends Hit {
  file: string;
  commit?: string;
}

export interface ScanResult {
  findings: Finding[];
  files: number;
  /** Values too short to search for without false alarms. */
  skipped: number;
  tooLarge: string[];
}

export type Progress = (done: number, total: number | null) => void;

export interface ScanOptions {
  paths: string[];
  gitHistory: boolean;
  staged: boolean;
  progress?: Progress;
}

/** What was found, and the status: 1 when anything was (a commit hook then refuses). */
export async function scan(ctx: AppContext, o: ScanOptions): Promise<{ result: ScanResult; status: number }> {
  const result = await search(ctx, o);
  return { result, status: result.findings.length ? EXIT.failure : EXIT.ok };
}

async function search(ctx: AppContext, o: ScanOptions): Promise<ScanResult> {
  const s = await openSession(ctx);
  const { needles, skipped } = needlesFor([...s.doc.entries.values()]);
  const matcher = new NeedleMatcher(needles);
  const findNeedles = (data: Buffer) => matcher.find(data);
  const result: ScanResult = { findings: [], files: 0, skipped, tooLarge: [] };
  const roots = o.paths.length ? o.paths : ['.'];
  if (o.staged || o.gitHistory) {
    for (const r of roots) if (!isGitRepo(r)) throw new UsageError(`${r} is not inside a git repository`);
  }
  if (o.staged) {
    for (const repo of roots) {
      const staged = stagedPaths(repo);
      await readObjects(repo, staged.map((p) => `:${p}`), (name, data) => {
        result.files++;
        for (const h of findNeedles(data)) result.findings.push({ ...h, file: name.slice(1) });
      });
    }
    return result;
  }
  const read = scanFileReader();
  const searchOne = (data: Buffer, file: string) => {
    result.files++;
    if (result.files % 500 === 0) o.progress?.(result.files, null);
    for (const h of findNeedles(data)) result.findings.push({ ...h, file });
  };
  // A path that cannot be searched is an error, not "no keys found": a typo or an empty pipe
  // must never pass as clean (a CI step trusts exit 0).
  const kinds = roots.map((root) => {
    if (root === '-') return 'stream';
    const st = fs.statSync(root, { throwIfNoEntry: false });
    if (!st) throw new UsageError(`${root} does not exist`);
    return st.isFile() || st.isDirectory() ? (st.isFile() ? 'file' : 'dir') : 'stream';
  });
  for (const [i, root] of roots.entries()) {
    // Standard input, a pipe or a FIFO (/dev/stdin, <(git diff)): read whole, as one file.
    if (kinds[i] === 'stream') {
      // /dev/stdin and /dev/fd/N name a descriptor this process has: read it, as opening the
      // name again fails when it is a socket (what a spawning program often gives).
      const fd = /^\/(?:dev|proc\/self)\/fd\/(\d+)$/.exec(root)?.[1] ?? (root === '/dev/stdin' ? '0' : undefined);
      searchOne(readCapped(fd !== undefined ? Number(fd) : root, MAX_SCAN_FILE_BYTES, 'scan input'), root === '-' || fd === '0' ? '(standard input)' : root);
      continue;
    }
    for (const file of walkFiles(root)) {
      const data = read(file);
      if (data === 'too-large') {
        result.tooLarge.push(file);
        continue;
      }
      if (!data) {
        if (kinds[i] === 'file') throw new UsageError(`cannot read ${root}`);
        continue;
      }
      searchOne(data, path.relative('.', file) || file);
    }
  }
  if (o.gitHistory) {
    for (const repo of roots) {
      const blobs = allBlobs(repo);
      const hitBlobs: { blob: string; hits: Hit[] }[] = [];
      let n = 0;
      await readObjects(repo, blobs, (blob, data) => {
        if (++n % 500 === 0) o.progress?.(n, blobs.length);
        const hits = findNeedles(data);
        if (hits.length) hitBlobs.push({ blob, hits });
      });
      for (const { blob, hits } of hitBlobs) {
        const where = whereBlobAdded(repo, blob);
        for (const h of hits) result.findings.push({ ...h, file: where?.path ?? `(unreachable object ${blob.slice(0, 12)})`, ...(where && { commit: where.commit }) });
      }
    }
  }
  o.progress?.(result.files, result.files);
  return result;
}

export const HOOK_MARKER = '# exvault pre-commit hook';

/** Installs a pre-commit hook that scans staged files; refuses to replace another hook. */
export function installPreCommitHook(repo: string, command: string, force: boolean): string {
  if (!isGitRepo(repo)) throw new UsageError(`${repo} is not inside a git repository`);
  const dir = path.resolve(repo, hooksDir(repo));
  const file = path.join(dir, 'pre-commit');
  const existing = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null;
  if (existing !== null && !existing.includes(HOOK_MARKER) && !force) {
    throw new UsageError(`${file} already exists`, ['add the line "' + command + ' scan --staged" to it, or pass --force to replace it']);
  }
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(file, `#!/bin/sh\n${HOOK_MARKER}: refuse commits that contain a key stored in the vault.\nexec ${command} scan --staged\n`, { mode: 0o755 });
  fs.chmodSync(file, 0o755);
  return file;
}
