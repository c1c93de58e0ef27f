// Questions on the terminal, through the @inquirer prompt packages, loaded only when a question
// is asked (they cost more start-up time than the rest of the CLI; the umbrella package
// @inquirer/prompts would also pull in an editor prompt with 650 KB of character-set tables). Passphrases are read with echo off,
// and the prompt's "show what I typed" key is disabled.
import { CancelledError, NeedTerminalError, UsageError } from '../errors';
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

  async busy<T>(message: string, work: () => T | Promise<T>): Promise<T> {
    if (process.stderr.isTTY !== true) return work();
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
