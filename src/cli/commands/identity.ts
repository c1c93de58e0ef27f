import { Command } from 'commander';
import { identityRecipient, initIdentity } from '../../app/identity';
import { defaultIdentityPath } from '../../storage/identity-file';
import { line, warn } from '../render';

export function registerIdentity(program: Command): void {
  const identity = program
    .command('identity')
    .description("this host's or person's age X25519 identity, which opens the slots granted to its recipient")
    .addHelpText('after', `
The identity is kept in a file (default: the exvault folder of the config directory,
e.g. ~/.config/exvault/identity.txt), 0600, in age-keygen's layout. When EXVAULT_IDENTITY_FILE
is unset, unlocking a vault with recipient slots uses that file if it exists.

Examples:
  vault identity init
  vault identity show --file /etc/exvault/identity.txt`);
  identity
    .command('init')
    .description('create a new identity (refused when the file exists) and print its recipient')
    .option('--file <path>', 'where to keep it (default: the config folder)')
    .addHelpText('after', '\nExamples:\n  vault identity init\n  vault identity init --file ./host.key')
    .action((opts: { file?: string }) => {
      const r = initIdentity(opts.file ?? defaultIdentityPath(), new Date());
      for (const w of r.warnings) warn(w);
      line(r.recipient);
    });
  identity
    .command('show')
    .description("print the identity's recipient (public: give it to the vault's admin)")
    .option('--file <path>', 'the identity file (default: the config folder)')
    .addHelpText('after', '\nExamples:\n  vault identity show')
    .action((opts: { file?: string }) => {
      line(identityRecipient(opts.file ?? defaultIdentityPath()));
    });
}
