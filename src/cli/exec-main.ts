// Composition root of `vault exec`, which starts every bot: a bundle of its own (dist/exec.js,
// chosen by bin/vault.js when the command word is exec) that holds and evaluates only what
// exec needs, not the other commands' modules (init's strength meter, inject's parsers...).
import { registerExec } from './commands/exec';
import { runCli } from './run';

runCli([registerExec]);
