// A second OS user for hostile-neighbour tests: made with useradd under a random name (the
// tests run as root), used through setpriv, removed with userdel afterwards.
import { execFileSync, spawnSync, SpawnSyncOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export interface OsUser {
  name: string;
  uid: number;
  gid: number;
  /** Runs a program as this user (no supplementary groups); throws when it fails. */
  run(cmd: string, args: string[], opts?: SpawnSyncOptions): string;
}

export function createUser(): OsUser {
  const name = `exv${randomBytes(5).toString('hex')}`;
  execFileSync('useradd', ['--no-create-home', '--user-group', '--shell', '/usr/sbin/nologin', name]);
  const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
  return {
    name,
    uid,
    gid,
    run(cmd, args, opts = {}) {
      const r = spawnSync('setpriv', [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--', cmd, ...args], { encoding: 'utf8', ...opts });
      if (r.status !== 0) throw new Error(`${cmd} as ${name} failed (${r.status}): ${String(r.stderr)}`);
      return String(r.stdout);
    },
  };
}

export function removeUser(user: OsUser): void {
  spawnSync('userdel', [user.name]);
}
