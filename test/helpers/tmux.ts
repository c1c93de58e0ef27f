// A real terminal for prompt tests: a private tmux server runs the command, keys are typed
// with send-keys, and the screen is read with capture-pane.
import { execFileSync } from 'node:child_process';

export class Terminal {
  private readonly socket = `exvault-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

  constructor(private readonly env: Record<string, string>) {}

  private tmux(args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { env: { ...this.env, TERM: 'xterm-256color' }, encoding: 'utf8' });
  }

  /** Runs argv (no secrets: it is visible in ps) and keeps the screen after it ends. */
  start(argv: string[], cwd: string): void {
    const quoted = argv.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
    this.tmux(['new-session', '-d', '-s', 't', '-x', '120', '-y', '40', '-c', cwd, `${quoted}; echo "[exit $?]"; sleep 600`]);
  }

  /** Types text literally, then Enter unless told otherwise. */
  type(text: string, enter = true): void {
    if (text) this.tmux(['send-keys', '-t', 't', '-l', text]);
    if (enter) this.tmux(['send-keys', '-t', 't', 'Enter']);
  }

  /** A paste, as a terminal delivers it: all lines at once, each ending in CR. */
  paste(text: string): void {
    execFileSync('tmux', ['-L', this.socket, 'load-buffer', '-b', 'paste', '-'], { env: { ...this.env, TERM: 'xterm-256color' }, input: text });
    this.tmux(['paste-buffer', '-d', '-b', 'paste', '-t', 't']);
  }

  key(name: string): void {
    this.tmux(['send-keys', '-t', 't', name]);
  }

  /** The screen's text; with escapes, its colour codes too. */
  screen(escapes = false): string {
    return this.tmux(['capture-pane', '-p', ...(escapes ? ['-e'] : []), '-t', 't', '-S', '-100']);
  }

  async waitFor(pattern: RegExp, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = this.screen();
      if (pattern.test(s)) return s;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; screen:\n${s}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async exitCode(timeoutMs = 15_000): Promise<number> {
    const s = await this.waitFor(/\[exit \d+\]/, timeoutMs);
    return Number(/\[exit (\d+)\]/.exec(s)![1]);
  }

  close(): void {
    try {
      this.tmux(['kill-server']);
    } catch {
      // already gone
    }
  }
}
