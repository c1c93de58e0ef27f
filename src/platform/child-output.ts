// Copying a child's masked output to the wrapper's own stdout or stderr. Two rules make the
// wrapper behave as if it were not there:
// - When the wrapper's reader goes away (EPIPE), the child's pipe is closed too, so the
//   child's next write fails as it would have without the wrapper (SIGPIPE or EPIPE).
// - After the child has ended, its pipe is read for a bounded time only: a process it left
//   behind may hold the pipe open for hours, and the wrapper must not wait for it.
import type { Readable } from 'node:stream';
import { Masker } from '../domain/masker';

/** After the child ends: stop once the pipe has been quiet this long... */
export const DRAIN_QUIET_MS = 250;
/** ...or after this much reading, whichever comes first. */
export const DRAIN_MAX_MS = 2000;
const TICK_MS = 50;
/** Node reads a child's pipe in pieces of this size: a shorter piece emptied it. */
const READ_SIZE = 64 * 1024;

export class MaskedOutput {
  readonly done: Promise<void>;
  private finish!: () => void;
  private finished = false;
  private sawData = false;
  /** The last read took all there was (the kernel's buffer was empty after it). */
  private emptied = true;
  private discarding = false;
  /** The wrapper's own reader has not taken the last write yet. */
  private waiting = false;
  private ticker: NodeJS.Timeout | undefined;

  constructor(
    private readonly from: Readable,
    private readonly to: NodeJS.WriteStream,
    private readonly masker: Masker,
  ) {
    this.done = new Promise((resolve) => (this.finish = resolve));
    from.on('data', (chunk: Buffer) => {
      this.sawData = true;
      this.emptied = chunk.length < READ_SIZE;
      if (this.discarding) {
        if (this.emptied) this.stop();
        return;
      }
      this.write(masker.push(chunk));
    });
    from.on('end', () => this.stop());
    from.on('error', () => this.stop());
    to.on('error', () => this.readerGone());
  }

  /**
   * The child has ended: read on until the pipe closes, is quiet for DRAIN_QUIET_MS, or
   * DRAIN_MAX_MS have passed. Time is counted in ticks of the wrapper's own event loop, and
   * not while the wrapper's output is full, so a slow reader of the wrapper's output does
   * not cut short what the child wrote before it ended.
   */
  drain(): Promise<void> {
    if (!this.finished && !this.ticker) {
      let quiet = 0;
      let total = 0;
      this.sawData = false;
      this.ticker = setInterval(() => {
        // A slow reader of the wrapper's output: what the child wrote is still due, and the
        // wrapper waits for that reader as the child would have.
        if (this.waiting) return;
        quiet = this.sawData ? 0 : quiet + 1;
        this.sawData = false;
        total++;
        if (quiet * TICK_MS >= DRAIN_QUIET_MS || total * TICK_MS >= DRAIN_MAX_MS) this.stop();
      }, TICK_MS);
    }
    return this.done;
  }

  /**
   * The reader of the wrapper's output is gone: pass that on to the child by closing its
   * pipe. Node gives the child a socket pair, not a pipe: closed with unread data in it,
   * the child's next write fails with ECONNRESET instead of SIGPIPE. So what is waiting is
   * read and dropped first, and the pipe closed right after a read that emptied it.
   */
  private readerGone(): void {
    if (this.emptied) return this.stop();
    this.discarding = true;
    this.from.resume();
  }

  private broken(): boolean {
    return this.to.destroyed || this.to.writableEnded;
  }

  private write(b: Buffer): void {
    if (b.length === 0 || this.broken()) return;
    // The child is paused while the wrapper's output is full.
    if (!this.to.write(b) && !this.waiting) {
      this.waiting = true;
      this.from.pause();
      this.to.once('drain', () => {
        this.waiting = false;
        this.from.resume();
      });
    }
  }

  /** Ends the copy: what the masker held back is written, and the child's pipe is closed. */
  private stop(): void {
    if (this.finished) return;
    this.finished = true;
    clearInterval(this.ticker);
    this.write(this.masker.flush());
    this.from.destroy();
    this.finish();
  }
}
