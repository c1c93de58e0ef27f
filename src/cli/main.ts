// Composition root: builds the program, runs it, and turns every outcome into one exit status.
import { Command, CommanderError, Option } from 'commander';
import { EXIT, UsageError } from '../errors';
import { registerAdd } from './commands/add';
import { registerEdit } from './commands/edit';
import { registerExec, setChildArgv } from './commands/exec';
import { registerGet } from './commands/get';
import { registerInit } from './commands/init';
import { registerInject } from './commands/inject';
import { registerKeychain } from './commands/keychain';
import { registerDoctor } from './commands/doctor';
import { registerList } from './commands/list';
import { registerPasswd } from './commands/passwd';
import { registerProfile } from './commands/profile';
import { registerRename } from './commands/rename';
import { registerRm } from './commands/rm';
import { registerShow } from './commands/show';
import { configureOutput, renderError } from './render';

declare const EXVAULT_VERSION: string;

export function buildProgram(): Command {
  const program = new Command('vault')
    .description('exvault: an encrypted vault for crypto-exchange API keys')
    .version(typeof EXVAULT_VERSION === 'string' ? EXVAULT_VERSION : 'dev', '-V, --version')
    .option('--vault <path>', 'the vault file (default: $EXVAULT_FILE, else the platform data folder)')
    .option('--passphrase-file <path>', 'read the passphrase from a file (also: EXVAULT_PASSPHRASE_FILE)')
    .option('--passphrase-fd <n>', 'read the passphrase from an open file descriptor')
    .option('--allow-symlink', 'accept a vault path that is a symbolic link')
    .option('--no-color', 'no colour (also: NO_COLOR)')
    .option('-q, --quiet', 'print only results and errors')
    .addOption(new Option('--debug', 'show where an unexpected error happened').hideHelp())
    .showSuggestionAfterError(false)
    .exitOverride()
    .configureOutput({ writeErr: () => undefined, outputError: () => undefined });
  program.hook('preAction', (_this, action) => configureOutput(action.optsWithGlobals()));
  for (const register of [registerInit, registerAdd, registerList, registerShow, registerGet, registerEdit, registerRename, registerRm, registerPasswd, registerKeychain, registerDoctor, registerExec, registerProfile, registerInject]) {
    register(program);
  }
  const quiet = (c: Command): void => {
    c.exitOverride().configureOutput({ writeErr: () => undefined, outputError: () => undefined });
    c.commands.forEach(quiet);
  };
  program.commands.forEach(quiet);
  return program;
}

/** Commander's own messages may quote argv (e.g. --opt=value): keep only the option name. */
function usageMessage(err: CommanderError): string {
  const msg = err.message.replace(/^error: /, '');
  return msg.replace(/'(--?[A-Za-z0-9-]+)=[^']*'/g, "'$1'");
}

export async function main(argv: string[]): Promise<number> {
  // "vault exec ... -- cmd args": the program's own arguments never go through our option parser.
  const dd = argv.indexOf('--');
  if (dd >= 0) {
    setChildArgv(argv.slice(dd + 1));
    argv = argv.slice(0, dd);
  }
  const program = buildProgram();
  const debug = argv.includes('--debug');
  configureOutput({ noColor: argv.includes('--no-color'), quiet: argv.includes('--quiet') || argv.includes('-q') });
  try {
    await program.parseAsync(argv, { from: 'user' });
    // A command may report a status of its own (doctor, check) by setting process.exitCode.
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.ok;
      renderError(new UsageError(usageMessage(err), ['see: vault help']), debug);
      return EXIT.usage;
    }
    renderError(err, debug);
    return (err as { exitCode?: number })?.exitCode ?? EXIT.failure;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  () => {
    process.exitCode = EXIT.failure;
  },
);
