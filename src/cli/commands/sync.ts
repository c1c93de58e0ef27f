import { Command } from 'commander';
import { addRemote, removeRemote, showRemote, syncVault, SyncResult } from '../../app/sync';
import { SyncRepo } from '../../platform/git-sync';
import { MAX_FILE_BYTES } from '../../format/limits';
import { syncRepoPath } from '../../storage/paths';
import { GlobalOptions, Invocation, makeContext } from '../context';
import { done, json, line, warn } from '../render';

function repoFor(g: GlobalOptions): { ctx: ReturnType<typeof makeContext>; git: SyncRepo } {
  const ctx = makeContext(g);
  return { ctx, git: new SyncRepo(syncRepoPath(ctx.vaultPath), MAX_FILE_BYTES) };
}

const SAID: Record<SyncResult['action'], string> = {
  'up-to-date': 'already up to date',
  pulled: "took the remote's changes",
  pushed: 'pushed this vault\'s changes',
  merged: "merged this vault's changes with the remote's",
  cloned: "took the remote's vault (this host had none)",
  'took-remote': "took the remote's vault as it is (--take-remote)",
};

function conflictText(c: SyncResult['conflicts'][number], ours?: string): string {
  const commit = ours ? ` (this host's whole file is git commit ${ours.slice(0, 12)})` : '';
  const pick = c.keptAs === null ? '' : `; pick yours with: vault rollback ${c.name} --to ${c.keptAs}`;
  switch (c.kind) {
    case 'both':
      return c.keptAs === null
        ? `conflict: ${c.name} was changed here and on the remote with the same secrets: the remote's settings are kept${commit}`
        : `conflict: ${c.name} was changed here and on the remote: the remote's version is active, yours is version ${c.keptAs} in its history${pick}`;
    case 'same-name':
      return `conflict: ${c.name} was added here and on the remote as two entries: the remote's keeps the name${c.keptAs === null ? '' : `, yours is version ${c.keptAs} in its history${pick}`}`;
    case 'removed-here':
      return `conflict: ${c.name} was removed here but changed on the remote: it is kept (vault rm ${c.name} to remove it again)`;
    case 'removed-there':
      return `conflict: ${c.name} was removed on the remote but changed here: it is kept (vault rm ${c.name} to remove it again)`;
  }
}

export function registerSync(program: Command, invocation: Invocation): void {
  const remote = program
    .command('remote')
    .description('the git remote vault sync uses (an empty git repository: ssh, file or https)')
    .addHelpText('after', `
Examples:
  vault remote add ssh://git@admin.example/srv/git/vault.git
  vault remote show`);
  remote
    .command('add <url>')
    .description('set the git remote of this vault (kept in the bare repository vault.exv.git beside it)')
    .addHelpText('after', '\nExamples:\n  vault remote add git@admin.example:vault.git\n  vault remote add file:///srv/git/vault.git')
    .action((url: string, _opts: unknown, c: Command) => {
      const { ctx, git } = repoFor(c.optsWithGlobals<GlobalOptions>());
      const r = addRemote(ctx, git, url);
      done(`remote set to ${r.url}; now run: vault sync`);
    });
  remote
    .command('show')
    .description('print the remote, the sync repository and the last commit synced')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  vault remote show\n  vault remote show --json')
    .action((opts: { json?: boolean }, c: Command) => {
      const { git } = repoFor(c.optsWithGlobals<GlobalOptions>());
      const r = showRemote(git);
      if (opts.json) return json({ schema: 1, ...r });
      line(`remote: ${r.url ?? '(none)'}`);
      line(`repository: ${r.repository}`);
      line(`last synced commit: ${r.synced ?? '(never synced)'}`);
    });
  remote
    .command('remove')
    .description('forget the remote (the sync repository and its history stay)')
    .addHelpText('after', '\nExamples:\n  vault remote remove')
    .action((_opts: unknown, c: Command) => {
      const { git } = repoFor(c.optsWithGlobals<GlobalOptions>());
      removeRemote(git);
      done('remote removed');
    });
  program
    .command('sync')
    .description('pull the remote\'s vault, merge it entry by entry with this one, and push (a host that only reads just pulls)')
    .option('--json', 'print JSON')
    .option('--take-remote', "take the remote's vault as it is and keep this host's file beside it (vault.exv.local-TIME): the way out when both sides changed scopes or keys")
    .addHelpText('after', `
Exit status: 0 synced, 14 git or the remote failed (nothing changed here), 15 synced but an entry
changed on both sides (both versions kept: the remote's active, yours in its history).

Examples:
  vault sync
  vault sync --take-remote
  */10 * * * *  vault sync --quiet`)
    .action(async (opts: { json?: boolean; takeRemote?: boolean }, c: Command) => {
      const { ctx, git } = repoFor(c.optsWithGlobals<GlobalOptions>());
      const { result, status } = await syncVault(ctx, git, { takeRemote: !!opts.takeRemote });
      invocation.status = status;
      if (opts.json) return json({ schema: 1, ...result });
      if (result.keptAt) warn(`this host's vault was kept as ${result.keptAt} (and in git commit ${result.oursCommit!.slice(0, 12)}): make its changes again on the vault now in place`);
      for (const x of result.conflicts) warn(conflictText(x, result.oursCommit));
      for (const p of result.settingConflicts) warn(`conflict: the setting ${p} was changed here and on the remote: the remote's is kept${result.oursCommit ? ` (yours is in git commit ${result.oursCommit.slice(0, 12)})` : ''}`);
      done(`${SAID[result.action]}${result.pushed && result.action !== 'pushed' ? ' and pushed' : ''} (commit ${result.commit.slice(0, 12)})`);
    });
}
