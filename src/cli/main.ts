// Composition root: builds the program, runs it, and turns every outcome into one exit status.
import { Command, CommanderError, Option } from 'commander';
import { EXIT, UsageError } from '../errors';
import { registerAdd } from './commands/add';
import { registerAudit } from './commands/audit';
import { registerCheck } from './commands/check';
import { registerRotate } from './commands/rotate';
import { registerVersions } from './commands/versions';
import { registerConfig } from './commands/config';
import { registerEdit } from './commands/edit';
import { registerExec, setChildArgv } from './commands/exec';
import { registerGenerate } from './commands/generate';
import { registerExport } from './commands/export';
import { registerImport } from './commands/import';
import { registerBackup } from './commands/backup';
import { registerCompletion } from './commands/completion';
import { runComplete } from './completion';
import { registerScan } from './commands/scan';
import { registerGet } from './commands/get';
import { registerInit } from './commands/init';
import { registerInject } from './commands/inject';
import { registerKeychain } from './commands/keychain';
import { registerDoctor } from './commands/doctor';
import { registerList } from './commands/list';
import { registerPasswd } from './commands/passwd';
import { registerScope } from './commands/scope';
import { registerUpgrade } from './commands/upgrade';
import { registerProfile } from './commands/profile';
import { registerRename } from './commands/rename';
import { registerRm } from './commands/rm';
import { registerShow } from './commands/show';
import { setCommandName } from './context';
import { configureOutput, exitsOnBrokenPipe, renderError, syncStdout } from './render';
import { moduleLoadError, storageError } from '../storage/io-error';
import { detachStdioFromNativeExit, disableCoreDumps } from '../platform/core-dumps';

// Before anything can read a secret: no core file of this process (RLIMIT_CORE 0) and, on
// Linux, not dumpable at all. Best effort: where libc cannot be reached the command still runs.
disableCoreDumps();
// Last thing on every exit path (process.exit included): see detachStdioFromNativeExit.
process.on('exit', detachStdioFromNativeExit);

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
  program.hook('preAction', (_this, action) => {
    // commander turns --no-color into color: false.
    const g = action.optsWithGlobals<{ color?: boolean; quiet?: boolean }>();
    configureOutput({ noColor: g.color === false, quiet: Boolean(g.quiet) });
    const names: string[] = [];
    for (let c: Command | null = action; c && c !== program; c = c.parent) names.unshift(c.name());
    setCommandName(names.join(' '));
  });
  for (const register of [registerInit, registerAdd, registerList, registerShow, registerGet, registerEdit, registerRename, registerRm, registerPasswd, registerKeychain, registerDoctor, registerExec, registerProfile, registerInject, registerAudit, registerConfig, registerCheck, registerRotate, registerVersions, registerGenerate, registerExport, registerImport, registerBackup, registerScan, registerUpgrade, registerScope, registerCompletion]) {
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
  if (argv[0] === '__complete') {
    await runComplete(buildProgram(), argv.slice(1));
    return EXIT.ok;
  }
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
    syncStdout();
    // A command may report a status of its own (doctor, check) by setting process.exitCode.
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.ok;
      renderError(new UsageError(usageMessage(err), ['see: vault help']), debug);
      return EXIT.usage;
    }
    const shown = moduleLoadError(err) ?? err;
    renderError(shown, debug);
    return (shown as { exitCode?: number })?.exitCode ?? EXIT.failure;
  }
}

// A reader that goes away (vault list | head) is not an error; anything thrown outside the
// normal path still gets the one-line treatment, never a raw stack or library text.
// Any other failure to write the results (a full disk, an I/O error) is the storage error, exit
// 9; when stderr itself cannot be written, nothing can be said but the exit status.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') {
      // vault exec turns this off: there the reader's going away reaches the program, whose status wins.
      if (exitsOnBrokenPipe()) process.exit(typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok);
      return;
    }
    // (vault exec adds its own listener: there the program's status must win, so it stays silent.)
    if (stream === process.stdout && stream.listenerCount('error') === 1) {
      renderError(storageError(err, 'the output (standard output)', 'it is incomplete'), false);
      process.exit(EXIT.storage);
    }
  });
}
const fatal = (thrown: unknown) => {
  const err = moduleLoadError(thrown) ?? thrown;
  renderError(err, process.argv.includes('--debug'));
  process.exit((err as { exitCode?: number })?.exitCode ?? EXIT.failure);
};
process.on('uncaughtException', fatal);
process.on('unhandledRejection', fatal);

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  () => {
    process.exitCode = EXIT.failure;
  },
);
