// Questions on the terminal, through the @inquirer prompt packages, loaded only when a question
// is asked (they cost more start-up time than the rest of the CLI; the umbrella package
// @inquirer/prompts would also pull in an editor prompt with 650 KB of character-set tables). Passphrases are read with echo off,
// and the prompt's "show what I typed" key is disabled.
import { CancelledError, NeedTerminalError, UsageError } from '../errors';
import { Prompter } from '../app/ports';
import { MAX_VALUE_BYTES } from '../domain/entry';
import { readHiddenLines } from '../platform/hidden-lines';
import { readCapped } from '../platform/secret-input';
import { canAnimate } from './render';
import * as fs from 'node:fs';
import * as os from 'node:os';

const PEM_FOOTER = /^-----END [A-Z0-9 ]+-----$/;

/** A pasted PEM (lines up to its footer, with a final newline), a file's bytes, or one line
 *  that is the key itself (Coinbase's Ed25519 keys are one base64 line). */
export function privateKeyAnswer(lines: string[]): string {
  const rest = lines.map((l) => l.trim());
  while (rest.length && !rest[0]) rest.shift();
  const first = rest[0] ?? '';
  if (first.startsWith('-----BEGIN ')) return `${rest.join('\n').replace(/\n+$/, '')}\n`;
  if (!first) throw new UsageError('no private key was given');
  const file = first.replace(/^~(?=\/)/, os.homedir());
  if (fs.existsSync(file)) return readCapped(file, MAX_VALUE_BYTES, 'private key file').toString('utf8');
  if (/^[A-Za-z0-9+/_=-]{32,}$/.test(first)) return first;
  throw new UsageError('the answer is neither a PEM key, nor the path of a file, nor a one-line key', ['paste the whole key from its -----BEGIN line to its -----END line, or give --private-key-file PATH']);
}

const loadPassword = async () => (await import('@inquirer/password')).default;
const loadConfirm = async () => (await import('@inquirer/confirm')).default;
const loadSelect = async () => (await import('@inquirer/select')).default;
const loadCheckbox = async () => (await import('@inquirer/checkbox')).default;

/** Ctrl-C or Esc inside a prompt becomes a clean "cancelled" instead of a library error. */
async function ask<T>(q: () => Promise<T>): Promise<T> {
  try {
    return await q();
  } catch (err) {
    if ((err as Error)?.name === 'ExitPromptError' || (err as Error)?.name === 'AbortPromptError') throw new CancelledError();
    throw err;
  }
}

export class TerminalPrompter implements Prompter {
  async passphrase(message: string, opts: { confirm?: boolean } = {}): Promise<string> {
    const password = await loadPassword();
    const first = await ask(() => password({ message: `${message}:`, toggleMask: false, validate: (v) => v.length > 0 || 'the passphrase cannot be empty' }));
    if (!opts.confirm) return first;
    const again = await ask(() => password({ message: 'Repeat it:', toggleMask: false }));
    if (again !== first) throw new UsageError('the two passphrases differ; nothing was changed');
    return first;
  }

  async secret(message: string): Promise<string> {
    const password = await loadPassword();
    return ask(() => password({ message: `${message}:`, toggleMask: false, validate: (v) => v.length > 0 || 'a value is needed' }));
  }

  async privateKey(message: string): Promise<string> {
    process.stderr.write(`? ${message}: paste it (it ends at its -----END line) or type the path of its file, then Enter\n`);
    const lines = await readHiddenLines((ls) => {
      const first = ls.find((l) => l.trim())?.trim();
      if (first === undefined) return false;
      return !first.startsWith('-----BEGIN ') || PEM_FOOTER.test(ls[ls.length - 1]!.trim());
    });
    return privateKeyAnswer(lines);
  }

  async confirm(message: string, defaultYes = false): Promise<boolean> {
    const confirm = await loadConfirm();
    return ask(() => confirm({ message, default: defaultYes }));
  }

  async choose(message: string, choices: { value: string; name: string }[]): Promise<string> {
    const select = await loadSelect();
    return ask(() => select({ message, choices, pageSize: 12 }));
  }

  async chooseMany(message: string, choices: { value: string; name: string }[]): Promise<string[]> {
    const checkbox = await loadCheckbox();
    return ask(() => checkbox({ message, choices, pageSize: 12 }));
  }

  async busy<T>(message: string, work: () => T | Promise<T>): Promise<T> {
    if (!canAnimate()) return work();
    const frames = '\u280b\u2819\u2839\u2838\u283c\u2834\u2826\u2827\u2807\u280f';
    let i = 0;
    const draw = () => process.stderr.write(`\r${frames[i++ % frames.length]} ${message}...`);
    draw();
    const timer = setInterval(draw, 80);
    // Let the first frame reach the screen before any synchronous step blocks the event loop.
    await new Promise((r) => setImmediate(r));
    try {
      return await work();
    } finally {
      clearInterval(timer);
      process.stderr.write('\r\u001b[K');
    }
  }
}

/**
 * The gate before a step that cannot be undone: --yes, or a person saying yes. Without a
 * terminal and without --yes it is exit 7 at once, never a hang.
 */
export async function confirmOrYes(prompter: Prompter | undefined, yes: boolean, question: string, why: string, defaultYes = false): Promise<void> {
  if (yes) return;
  if (!prompter) throw new NeedTerminalError(why, ['add --yes']);
  if (!(await prompter.confirm(question, defaultYes))) throw new CancelledError();
}
