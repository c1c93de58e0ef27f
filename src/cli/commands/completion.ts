import { Argument, Command } from 'commander';
import { SCRIPTS } from '../completion';

export function registerCompletion(program: Command): void {
  program
    .command('completion')
    .description('print the shell completion script for bash, zsh or fish')
    .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(Object.keys(SCRIPTS)))
    .addHelpText('after', `
Examples:
  exvault completion bash > ~/.local/share/bash-completion/completions/vault
  exvault completion zsh > "\${fpath[1]}/_vault"
  exvault completion fish > ~/.config/fish/completions/vault.fish

Entry and profile names complete when the vault opens without a prompt (keychain).`)
    .action((shell: keyof typeof SCRIPTS) => {
      process.stdout.write(SCRIPTS[shell]);
    });
}
