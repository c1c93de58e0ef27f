// Where the vault lives: --vault, then EXVAULT_FILE, then the platform's data folder
// (XDG_DATA_HOME on Linux, Application Support on macOS, %LOCALAPPDATA% on Windows).
import envPaths from 'env-paths';
import * as path from 'node:path';

export const VAULT_FILE_NAME = 'vault.exv';

export function defaultVaultPath(): string {
  return path.join(envPaths('exvault', { suffix: '' }).data, VAULT_FILE_NAME);
}

export function resolveVaultPath(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  const chosen = flag || env.EXVAULT_FILE || defaultVaultPath();
  return path.resolve(chosen);
}

export const lockPath = (vault: string) => `${vault}.lock`;
/** Serialises `vault rotate --due` runs; separate from the writer lock, which each run's writes take. */
export const rotateLockPath = (vault: string) => `${vault}.rotate.lock`;
/** Serialises `vault sync` runs on one host (they share the sync repository's refs). */
export const syncLockPath = (vault: string) => `${vault}.sync.lock`;
export const backupPath = (vault: string) => `${vault}.bak`;
export const auditPath = (vault: string) => `${vault}.audit`;
/** The bare git repository `vault sync` keeps beside the vault (docs/SYNC.md). */
export const syncRepoPath = (vault: string) => `${vault}.git`;
