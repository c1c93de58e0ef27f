import { Command } from 'commander';
import { initIdentity, showIdentity } from '../../app/identity';
import { UsageError } from '../../errors';
import { osKeychain } from '../../platform/keychain';
import { defaultIdentityPath } from '../../storage/identity-file';
import { identityPlaces } from '../context';
import { info, line, warn } from '../render';

export function registerIdentity(program: Command): void {
  const identity = program
    .command('identity')
    .description("this host's or person's age X25519 identity, which opens the slots granted to its recipient")
    .addHelpText('after', `
Where the identity is kept: the OS keychain (Secret Service on Linux) by default where one
answers, else a file (--file: default ~/.config/exvault/identity.txt, 0600, age-keygen's
layout), or a systemd credential on a server ($CREDENTIALS_DIRECTORY/exvault-identity, from
LoadCredentialEncrypted=). Unlocking a vault with recipient slots uses EXVAULT_IDENTITY_FILE
alone when it is set; else every one of: the systemd credential, the keychain item, the file.

Examples:
  vault identity init
  vault identity init --file /etc/exvault/identity.txt
  vault identity show`);
  identity
    .command('init')
    .description('create a new identity (refused when one is there) and print its recipient')
    .option('--file [path]', 'keep it in a file (default path: the config folder) instead of the keychain')
    .option('--keychain', 'keep it in the OS keychain, or fail (exit 6) when none answers')
    .addHelpText('after', '\nExamples:\n  vault identity init\n  vault identity init --file\n  vault identity init --file ./host.key')
    .action(async (opts: { file?: string | boolean; keychain?: boolean }) => {
      if (opts.file !== undefined && opts.keychain) throw new UsageError('give --file or --keychain, not both');
      const file = typeof opts.file === 'string' ? opts.file : defaultIdentityPath();
      const store = opts.keychain ? { kind: 'keychain' as const } : opts.file !== undefined ? { kind: 'file' as const, file } : { kind: 'auto' as const, file };
      const r = await initIdentity(store, osKeychain(), new Date());
      for (const w of r.warnings) warn(w);
      info(`identity kept in ${r.where}`);
      line(r.recipient);
    });
  identity
    .command('show')
    .description("print the identity's recipient (public: give it to the vault's admin)")
    .option('--file <path>', 'the identity file to read (default: EXVAULT_IDENTITY_FILE, else the ladder)')
    .addHelpText('after', '\nExamples:\n  vault identity show\n  EXVAULT_IDENTITY_FILE=/etc/exvault/host.key vault identity show')
    .action(async (opts: { file?: string }) => {
      const places = identityPlaces();
      const r = await showIdentity(opts.file ? { ...places, explicitFile: opts.file } : places);
      info(`identity from ${r.where}${r.others ? ` (${r.others} more found; a slot takes the one it names)` : ''}`);
      line(r.recipient);
    });
}
