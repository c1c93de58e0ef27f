// End-to-end harness: runs the built CLI as a real process with its own HOME, XDG folders
// and TMPDIR, records every output for canary checks, and scans its files afterwards.
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CANARY, findCanary } from './canary';

export const CLI = path.resolve(__dirname, '../../bin/vault.js');
/** The lowest KDF the format accepts, through the normal options. */
export const FAST_KDF = ['--kdf-memory', '19', '--kdf-passes', '2', '--allow-weak-kdf'];
/**
 * A bound that only a hang reaches, never a slow run on a loaded 2-core machine: above
 * D-Bus's own 25 s reply timeout, so a call left waiting on the bus is caught. Speed is
 * measured in bench/, not asserted here.
 */
export const HANG_MS = 40_000;

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface RunOptions {
  input?: string | Buffer;
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
  /** The command's purpose is to reveal a secret: its output is not canary-checked. */
  reveals?: boolean;
}

export class Sandbox {
  readonly root: string;
  readonly env: Record<string, string>;
  readonly vault: string;
  readonly passFile: string;
  private readonly outputs: string[] = [];

  constructor() {
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), 'exvault-e2e-'));
    for (const d of ['home', 'data', 'config', 'cache', 'tmp', 'secrets']) fs.mkdirSync(path.join(this.root, d), { mode: 0o700 });
    this.vault = path.join(this.root, 'data', 'exvault', 'vault.exv');
    this.passFile = this.secretFile('pass', `${CANARY.vaultPassphrase}\n`);
    this.env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: path.join(this.root, 'home'),
      XDG_DATA_HOME: path.join(this.root, 'data'),
      XDG_CONFIG_HOME: path.join(this.root, 'config'),
      XDG_CACHE_HOME: path.join(this.root, 'cache'),
      TMPDIR: path.join(this.root, 'tmp'),
      LANG: 'C.UTF-8',
    };
    if (process.env.DBUS_SESSION_BUS_ADDRESS) this.env.DBUS_SESSION_BUS_ADDRESS = process.env.DBUS_SESSION_BUS_ADDRESS;
  }

  /** A file under secrets/ (excluded from the canary scan: it holds a secret on purpose). */
  secretFile(name: string, content: string | Buffer): string {
    const p = path.join(this.root, 'secrets', name);
    fs.writeFileSync(p, content, { mode: 0o600 });
    return p;
  }

  run(args: string[], opts: RunOptions = {}): Promise<RunResult> {
    return this.start(args, opts).done;
  }

  /** Starts the CLI and returns the process (for signals) and its result when it ends. */
  start(args: string[], opts: RunOptions = {}): { child: ChildProcess; done: Promise<RunResult> } {
    const env = { ...this.env, ...opts.env };
    for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
    const t0 = Date.now();
    const child = spawn(process.execPath, [CLI, ...args], { env: env as NodeJS.ProcessEnv, cwd: this.root, stdio: ['pipe', 'pipe', 'pipe'] });
    const done = new Promise<RunResult>((resolve, reject) => {
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout!.on('data', (d) => out.push(d));
      child.stderr!.on('data', (d) => err.push(d));
      const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
      child.on('error', reject);
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        const r = { code, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), ms: Date.now() - t0 };
        if (!opts.reveals) this.outputs.push(r.stdout, r.stderr);
        resolve(r);
      });
      child.stdin!.on('error', () => undefined);
      child.stdin!.end(opts.input ?? '');
    });
    return { child, done };
  }

  /** Runs with the sandbox's passphrase file. */
  vaultCmd(args: string[], opts: RunOptions = {}): Promise<RunResult> {
    return this.run(['--passphrase-file', this.passFile, ...args], opts);
  }

  async init(): Promise<void> {
    const r = await this.vaultCmd(['init', ...FAST_KDF]);
    if (r.code !== 0) throw new Error(`init failed: ${r.stderr}`);
  }

  /** Every file under the sandbox but secrets/, for canary scans. */
  files(): string[] {
    const out: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) {
          if (p !== path.join(this.root, 'secrets')) walk(p);
        } else if (e.isFile()) out.push(p);
      }
    };
    walk(this.root);
    return out;
  }

  /** No canary in any recorded output or in any file (the encrypted vault included). */
  assertNoCanary(): void {
    const hit = findCanary(this.outputs.join('\n'));
    if (hit) throw new Error('a canary secret appeared in a command output');
    for (const f of this.files()) {
      if (findCanary(fs.readFileSync(f))) throw new Error(`a canary secret appeared in ${path.relative(this.root, f)}`);
    }
  }

  cleanup(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

export const BINANCE_JSON = JSON.stringify({ apiKey: CANARY.apiKey, apiSecret: CANARY.apiSecret });
export const OKX_JSON = JSON.stringify({ apiKey: CANARY.apiKey, apiSecret: CANARY.apiSecret, passphrase: CANARY.passphrase });
