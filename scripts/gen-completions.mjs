// Writes completions/ from the built CLI (`exvault completion SHELL`); a test fails when stale.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

const files = { bash: 'completions/vault.bash', zsh: 'completions/_vault', fish: 'completions/vault.fish' };
for (const [shell, file] of Object.entries(files)) {
  writeFileSync(file, execFileSync(process.execPath, ['bin/vault.js', 'completion', shell]));
  console.log(file);
}
