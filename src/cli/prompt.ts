// Questions on the terminal, through the @inquirer prompt packages, loaded only when a question
// is asked (they cost more start-up time than the rest of the CLI; the umbrella package
// @inquirer/prompts would also pull in an editor prompt with 650 KB of character-set tables). Passphrases are read with echo off,
// and the prompt's "show what I typed" key is disabled.
import { CancelledError, UsageError } from '../errors';
import { Prompter } from '../app/ports';

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

  async busy<T>(message: string, work: () => T): Promise<T> {
    const show = process.stderr.isTTY === true;
    if (show) process.stderr.write(`\u280b ${message}...`);
    // Let the line reach the screen before the key derivation blocks the event loop.
    await new Promise((r) => setImmediate(r));
    try {
      return work();
    } finally {
      if (show) process.stderr.write('\r\u001b[K');
    }
  }
}
