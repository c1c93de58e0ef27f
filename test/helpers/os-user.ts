// A second OS user made by the test (useradd), for hostile-neighbour tests: a process of
// another user acting on folders and files the vault's user shares with it. Needs root.
import { spawn, spawnSync, SpawnOptions } from 'node:child_process';
import * as crypto from 'node:crypto';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface OsUser {
  name: string;
  uid: number;
  gid: number;
  /** Runs a program as this user (no shell unless cmd is one), with a bounded time. */
  run(cmd: string, args: string[], opts?: { env?: Record<string, string>; cwd?: string; input?: string; timeoutMs?: number }): Promise<RunResult>;
}

function id(flag: string, name: string): number {
  const r = spawnSync('id', [flag, name], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`id ${flag} ${name} failed: ${r.stderr}`);
  return Number(r.stdout.trim());
}

export function canCreateUsers(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0 && spawnSync('useradd', ['--help']).status === 0;
}

/** A new user with its own group, no home folder, no login shell. */
export function createUser(): OsUser {
  const name = `exvt${crypto.randomBytes(4).toString('hex')}`;
  const r = spawnSync('useradd', ['--no-create-home', '--user-group', '--shell', '/usr/sbin/nologin', name], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`useradd failed: ${r.stderr}`);
  const uid = id('-u', name);
  const gid = id('-g', name);
  return {
    name,
    uid,
    gid,
    run(cmd, args, opts = {}) {
      const o: SpawnOptions = { uid, gid, cwd: opts.cwd ?? '/', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nonexistent', LANG: 'C.UTF-8', ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] };
      return new Promise((resolve, reject) => {
        const child = spawn(cmd, args, o);
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        child.stdout!.on('data', (d) => out.push(d));
        child.stderr!.on('data', (d) => err.push(d));
        const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
        child.on('error', reject);
        child.on('close', (code) => {
          clearTimeout(timer);
          resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
        });
        child.stdin!.on('error', () => undefined);
        child.stdin!.end(opts.input ?? '');
      });
    },
  };
}

export function removeUser(user: Pick<OsUser, 'name'>): void {
  spawnSync('userdel', ['--force', user.name]);
}
