import { Command } from 'commander';
import { installPreCommitHook, scan } from '../../app/scan';
import { GlobalOptions, Invocation, makeContext } from '../context';
import { canAnimate, done, json, line, warn } from '../render';

const shellQuote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;

export function registerScan(program: Command, invocation: Invocation): void {
  program
    .command('scan [paths...]')
    .description('find keys stored in the vault (any version; raw, line by line, JSON-escaped, URL-encoded, base64) in files or git history')
    .option('--git-history', 'also search every object in the git repository, and name the commit')
    .option('--staged', 'search the files staged for commit (what the pre-commit hook runs)')
    .option('--install-hook', 'install a git pre-commit hook that runs vault scan --staged')
    .option('--force', 'with --install-hook: replace an existing pre-commit hook')
    .option('--json', 'print findings as JSON')
    .addHelpText('after', `
PATH - is standard input, searched as one file (git diff | vault scan -); so is a pipe or FIFO.
A PATH that does not exist is an error (exit 2), never "no keys found".

Exit status: 0 nothing found, 1 something found, 2 a PATH that does not exist or cannot be read.

Examples:
  vault scan ~/bots
  vault scan . --git-history
  vault scan --install-hook               in a repository: block commits that contain a key

Findings name the entry, field and version, never the value.`)
    .action(async (paths: string[], opts, c: Command) => {
      const ctx = makeContext(c.optsWithGlobals<GlobalOptions>());
      if (opts.installHook) {
        const command = `${shellQuote(process.execPath)} ${shellQuote(process.argv[1]!)}`;
        return done(`installed ${installPreCommitHook(paths[0] ?? '.', command, Boolean(opts.force))}`);
      }
      const tty = canAnimate();
      const progress = tty ? (n: number, total: number | null) => process.stderr.write(`\r\u001b[Kscanning: ${n}${total ? ` of ${total}` : ''} files`) : undefined;
      const { result: r, status } = await scan(ctx, { paths, gitHistory: Boolean(opts.gitHistory), staged: Boolean(opts.staged), ...(progress && { progress }) });
      invocation.status = status;
      if (tty) process.stderr.write('\r\u001b[K');
      if (opts.json) json(r);
      else {
        for (const f of r.findings) line(`${f.commit ? `${f.commit}:` : ''}${f.file}:${f.line}: ${f.label}${f.form === 'raw' ? '' : ` [${f.form}]`}`);
        if (r.tooLarge.length) warn(`not searched (over 64 MiB): ${r.tooLarge.join(', ')}`);
        if (r.skipped) warn(`${r.skipped} value${r.skipped === 1 ? ' is' : 's are'} shorter than 8 characters and not searched for`);
        const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
        const where = new Set(r.findings.map((f) => `${f.commit ?? ''}:${f.file}`)).size;
        done(r.findings.length ? `${plural(r.findings.length, 'finding')} in ${plural(where, 'file')} (of ${r.files} searched): rotate those keys` : `no keys found in ${plural(r.files, 'file')}`);
      }
    });
}
