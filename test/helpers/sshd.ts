// A real OpenSSH server for tests, on 127.0.0.1 only, started and stopped by the test itself:
// its own host key, config and authorized keys in a temp folder, run as the current user (no
// system sshd config touched). Keys for clients are made here too; `sshCommand` is what
// GIT_SSH_COMMAND gets (the key, the port, this server's host key pinned).
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export const SSHD = '/usr/sbin/sshd';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

async function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('data', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export class TestSshd {
  readonly dir: string;
  readonly user = os.userInfo().username;
  port = 0;
  #proc: ChildProcess | undefined;
  #log: string[] = [];

  constructor() {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exvault-sshd-'));
    fs.chmodSync(this.dir, 0o700);
    const kg = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(this.dir, 'host_key')]);
    if (kg.status !== 0) throw new Error('ssh-keygen failed for the host key');
    fs.writeFileSync(path.join(this.dir, 'authorized_keys'), '', { mode: 0o600 });
  }

  /** A client key; `restrict` puts a forced command in front of it (e.g. a read-only wrapper). */
  clientKey(name: string, forcedCommand?: string): string {
    const key = path.join(this.dir, `client_${name}`);
    if (spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', key]).status !== 0) throw new Error('ssh-keygen failed');
    const pub = fs.readFileSync(`${key}.pub`, 'utf8').trim();
    const opts = forcedCommand ? `command="${forcedCommand}",no-port-forwarding,no-pty,no-agent-forwarding,no-X11-forwarding ` : '';
    fs.appendFileSync(path.join(this.dir, 'authorized_keys'), `${opts}${pub}\n`);
    return key;
  }

  /** GIT_SSH_COMMAND for a client key: this server's port, its host key pinned, no prompts. */
  sshCommand(key: string): string {
    return ['ssh', '-i', key, '-p', String(this.port), '-o', `UserKnownHostsFile=${path.join(this.dir, 'known_hosts')}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-F', '/dev/null'].join(' ');
  }

  url(repo: string): string {
    return `ssh://${this.user}@127.0.0.1${repo}`;
  }

  async start(): Promise<void> {
    this.port = await freePort();
    const conf = path.join(this.dir, 'sshd_config');
    fs.writeFileSync(
      conf,
      [
        `Port ${this.port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${path.join(this.dir, 'host_key')}`,
        `PidFile ${path.join(this.dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${path.join(this.dir, 'authorized_keys')}`,
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'PermitRootLogin prohibit-password',
        // The test's temp folders are not laid out as a home folder is.
        'StrictModes no',
        'UsePAM no',
        'PrintMotd no',
        'LogLevel ERROR',
        '',
      ].join('\n'),
    );
    // Privilege separation (root only) needs its empty folder; Debian's init script makes it.
    if (process.getuid?.() === 0 && !fs.existsSync('/run/sshd')) fs.mkdirSync('/run/sshd', { mode: 0o755 });
    const pub = fs.readFileSync(path.join(this.dir, 'host_key.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
    fs.writeFileSync(path.join(this.dir, 'known_hosts'), `[127.0.0.1]:${this.port} ${pub}\n`);
    this.#proc = spawn(SSHD, ['-D', '-e', '-f', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.#proc.stderr!.on('data', (d) => this.#log.push(String(d)));
    for (let i = 0; i < 400; i++) {
      if (this.#proc.exitCode !== null) throw new Error(`sshd exited: ${this.#log.join('')}`);
      if (await accepting(this.port)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('sshd did not start listening');
  }

  async stop(): Promise<void> {
    const p = this.#proc;
    if (p && p.exitCode === null) {
      const gone = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      await gone;
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
