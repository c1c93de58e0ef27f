// Reading several lines from the terminal with echo off: a pasted PEM key arrives as many
// lines at once, and must all land in the prompt (not the shell after it) and never on screen.
import { CancelledError } from '../errors';

/**
 * Lines typed or pasted, read in raw mode (no echo), until `done(lines)` says the answer is
 * complete after a line ends. Ctrl-C cancels; Ctrl-D ends the answer where it is; backspace
 * edits the current line. A dot per line read shows progress without showing anything secret.
 */
export function readHiddenLines(done: (lines: string[]) => boolean): Promise<string[]> {
  const input = process.stdin;
  return new Promise((resolve, reject) => {
    const lines: string[] = [];
    let current = '';
    let lastWasCr = false;
    const finish = (err?: Error) => {
      input.off('data', onData);
      input.setRawMode?.(false);
      input.pause();
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(lines);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\u0003') return finish(new CancelledError());
        if (ch === '\u0004') {
          if (current) lines.push(current);
          return finish();
        }
        if (ch === '\n' && lastWasCr) {
          lastWasCr = false;
          continue;
        }
        lastWasCr = ch === '\r';
        if (ch === '\r' || ch === '\n') {
          lines.push(current);
          current = '';
          process.stderr.write('.');
          if (done(lines)) return finish();
        } else if (ch === '\u007f' || ch === '\b') current = [...current].slice(0, -1).join('');
        else current += ch;
      }
    };
    input.setRawMode?.(true);
    input.on('data', onData);
    input.resume();
  });
}
