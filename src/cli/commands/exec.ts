import { Command, Option } from 'commander';
import { execProgram } from '../../app/exec';
import type { ChildRunner } from '../../app/ports';
import { UsageError } from '../../errors';
import { parseEnvFile } from '../../domain/env-file';
import { Masker } from '../../domain/masker';
import { parseShortDurationMs } from '../../domain/time';
import { resolveCommand, runChild } from '../../platform/child';
import { readCapped } from '../../platform/secret-input';
import { writeSecretFiles } from '../../platform/secret-files';
import { canReplaceProcess, REPLACE_NEEDS, replaceProcess } from '../../platform/replace-process';
import { isNullDevice, stderrIsTerminal, stdinIsTerminal, stdoutIsTerminal } from '../../platform/terminal';
import { GlobalOptions, Invocation, makeContext } from '../context';
import { collect, parseMaps } from '../option-helpers';
import { json, keepRunningOnBrokenPipe, table, warn } from '../render';

/** The child processes of this machine, as the exec use case's ChildRunner port. */
function processRunner(opts: { mask?: boolean; graceMs?: number }): ChildRunner {
  // Values handed over as files are masked in the output too (the variable holds only a path).
  const fileValues: { name: string; value: string }[] = [];
  return {
    find: (command) => resolveCommand(command, process.env.PATH),
    secretFiles: (files) => {
      fileValues.push(...files);
      return writeSecretFiles(files, process.env, warn);
    },
    run: (program, env, secretVars) => {
      const targets = [...secretVars.map((name) => ({ name, value: env[name]! })), ...fileValues];
      // Masked by default when the output is not a terminal (a log file, a pipe), except the
      // null device: nothing written there is kept, and the masking pipe costs every start
      // about 35M instructions (a seventh of `vault exec`, callgrind). --mask still masks.
      // One set of patterns for both streams (built on the first output: see Masker).
      let first: Masker | undefined;
      const maskOf = (fd: number, isTty: boolean) => ((opts.mask ?? (!isTty && !isNullDevice(fd))) ? (first = new Masker(first ?? targets)) : undefined);
      const maskStdout = maskOf(1, stdoutIsTerminal());
      const maskStderr = maskOf(2, stderrIsTerminal());
      keepRunningOnBrokenPipe();
      return runChild({
        file: program.file,
        args: program.argv.slice(1),
        argv0: program.argv[0]!,
        env,
        ...(maskStdout && { maskStdout }),
        ...(maskStderr && { maskStderr }),
        ...(opts.graceMs !== undefined && { graceMs: opts.graceMs }),
        terminal: stdinIsTerminal(),
      });
    },
    replace: (program, env) => replaceProcess(program.file, program.argv, env),
  };
}

export function registerExec(program: Command, invocation: Invocation): void {
  program
    .command('exec [entries...]')
    .usage('[options] [ENTRY...] -- COMMAND [ARGS...]')
    .description('run a program with exactly the requested secrets as environment variables')
    .option('--profile <name>', 'use a saved profile (vault profile set)')
    .option('--map <VAR=entry.field>', 'inject a field under this name (repeatable)', collect)
    .option('--file <VAR=entry.field>', 'write a field to a private file (0600, in a 0700 folder on a memory file system) for the run; VAR gets its path (repeatable)', collect)
    .option('--env-from <path>', 'lines VAR=vault://entry/field are resolved; other VAR=value lines pass through', collect)
    // Not --env-file: Node.js itself reads `--env-file FILE` from a script's arguments too
    // (nodejs/node#54232) and applies its NODE_OPTIONS inside this process before vault runs.
    .addOption(new Option('--env-file <path>').hideHelp())
    .option('--pristine', 'start from an empty environment (PATH HOME USER LANG TERM TZ and --keep only)')
    .option('--keep <VAR>', 'with --pristine, also keep this variable (repeatable)', collect)
    .option('--allow-withdraw', 'allow keys that can withdraw or transfer funds')
    .option('--override', 'replace variables that are already set')
    .option('--mask', "replace secret values in the program's output (default when output is not a terminal or /dev/null)")
    .option('--no-mask', "never mask the program's output")
    .option('--grace <duration>', 'after forwarding SIGTERM, SIGKILL the program and every process it started when it has not ended (e.g. 30s; default: wait)')
    .option('--no-wrapper', 'become the program (execve; Node.js 22.15+): no masking, no --grace, no exit record')
    .option('--dry-run', 'list the variables and where each comes from; run nothing')
    .option('--json', 'with --dry-run, print JSON')
    .addHelpText('after', `
Examples:
  vault exec binance-main -- python bot.py --live
  vault exec --profile grid -- freqtrade trade -c config.json
  vault exec okx-main --map OKX_KEY=okx-main.apiKey -- node bot.js
  vault exec --env-from bot.env --pristine -- ./bot
  vault exec --file CB_KEY_FILE=cb.privateKey -- sh -c 'bot --key-file "$CB_KEY_FILE"'
  vault exec binance-main --dry-run

Default names: <ENTRY>_API_KEY, <ENTRY>_API_SECRET, <ENTRY>_API_PASSPHRASE, <ENTRY>_PRIVATE_KEY.
The exit status is the program's own (128+N when killed by signal N, 127 not found, 126 not executable).
The program runs in a process group of its own unless standard input is a terminal;
SIGTERM, SIGINT, SIGQUIT and SIGWINCH go to that whole group, SIGHUP, SIGUSR1 and SIGUSR2
(reload) to the program. On a terminal, SIGINT, SIGQUIT and SIGWINCH come from the terminal
and are not forwarded; a SIGUSR1 before the program starts is dropped. The wrapper ends when the program ends, reading its masked output for at
most 2 s more. --no-wrapper leaves no process behind: the vault becomes the program, so
there is no masking, no grace period, and the audit log records the start only.`)
    .action(async (entries: string[], opts, c: Command) => {
      const graceMs = opts.grace === undefined ? undefined : parseShortDurationMs(opts.grace);
      if (graceMs === null) throw new UsageError('--grace takes a duration such as 30s, 2m or 500ms');
      if (opts.envFile !== undefined) throw new UsageError('exec takes --env-from FILE, not --env-file: Node.js reads --env-file itself, before vault, and runs what its NODE_OPTIONS line names', ['vault exec --env-from FILE -- COMMAND']);
      const wrapper = opts.wrapper !== false;
      if (!wrapper) {
        if (opts.mask) throw new UsageError('--no-wrapper cannot mask output: no process stays to read it', ['drop --mask, or --no-wrapper']);
        if (graceMs !== undefined) throw new UsageError('--no-wrapper has no --grace: no process stays to send SIGKILL', ['drop --grace, or --no-wrapper']);
        if (opts.file) throw new UsageError('--no-wrapper cannot use --file: no process stays to remove the files', ['drop --file, or --no-wrapper']);
        if (!canReplaceProcess()) throw new UsageError(`--no-wrapper needs ${REPLACE_NEEDS}; this is ${process.version}`, ['run without --no-wrapper, or with a newer Node.js']);
      }
      const ctx = makeContext(c.optsWithGlobals<GlobalOptions>());
      // Collected so that a second one is refused rather than silently replacing the first.
      const envFrom: string[] = opts.envFrom ?? [];
      if (envFrom.length > 1) throw new UsageError('--env-from is given twice: exec reads one env file', ['merge them into one file, or move lines to --map']);
      const envFile = envFrom[0] !== undefined ? parseEnvFile(readCapped(envFrom[0], 1024 * 1024, 'env file', 'trusted').toString('utf8')) : undefined;
      const cmd = {
        entries, map: parseMaps(opts.map ?? []), ...(opts.file && { files: parseMaps(opts.file, '--file') }), pristine: Boolean(opts.pristine), keep: opts.keep ?? [],
        allowWithdraw: Boolean(opts.allowWithdraw), override: Boolean(opts.override), ...(opts.profile && { profile: opts.profile }), ...(envFile && { envFile }),
        argv: invocation.childArgv, dryRun: Boolean(opts.dryRun), wrapper,
      };
      const r = await execProgram(ctx, cmd, processRunner({ ...(opts.mask !== undefined && { mask: opts.mask }), ...(graceMs !== undefined && { graceMs }) }), process.env);
      invocation.status = r.status;
      if (r.dryRun) {
        if (opts.json) return json(r.rows);
        return table(['VARIABLE', 'FROM'], r.rows.map((row) => [row.name, row.source]));
      }
    });
}
