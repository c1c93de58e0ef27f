// --kdf PRESET, or --kdf-memory MIB with --kdf-passes N for explicit parameters.
import { Command, Option } from 'commander';
import { UsageError } from '../errors';
import { KDF_ARGON2ID13, KDF_PRESETS, KdfParams, KdfPreset, kdfProblem, weakKdf } from '../format/limits';

export function addKdfOptions(cmd: Command, defaultNote: string): Command {
  return cmd
    .addOption(new Option('--kdf <preset>', `key derivation cost (${defaultNote})`).choices(Object.keys(KDF_PRESETS)))
    .option('--kdf-memory <MiB>', 'Argon2id memory in MiB (19 to 1024), with --kdf-passes')
    .option('--kdf-passes <n>', 'Argon2id passes (2 to 10), with --kdf-memory')
    .option('--allow-weak-kdf', 'accept a key derivation cheaper than the interactive preset (faster offline guessing)');
}

export function kdfFromOptions(o: { kdf?: string; kdfMemory?: string; kdfPasses?: string; allowWeakKdf?: boolean }): KdfParams | undefined {
  if (o.kdf && (o.kdfMemory || o.kdfPasses)) throw new UsageError('give --kdf or --kdf-memory/--kdf-passes, not both');
  if (o.kdf) return { ...KDF_PRESETS[o.kdf as KdfPreset] };
  if (!o.kdfMemory && !o.kdfPasses) return undefined;
  if (!o.kdfMemory || !o.kdfPasses) throw new UsageError('--kdf-memory and --kdf-passes go together');
  if (!/^\d{1,5}$/.test(o.kdfMemory) || !/^\d{1,3}$/.test(o.kdfPasses)) throw new UsageError('--kdf-memory and --kdf-passes take whole numbers');
  const p = { alg: KDF_ARGON2ID13, memKiB: Number(o.kdfMemory) * 1024, opsLimit: Number(o.kdfPasses) };
  const problem = kdfProblem(p);
  if (problem) throw new UsageError(problem);
  if (weakKdf(p) && !o.allowWeakKdf) {
    throw new UsageError(`${o.kdfMemory} MiB and ${o.kdfPasses} passes is cheaper than the interactive preset (64 MiB, 2 passes)`, [
      'each guess at the passphrase then costs an attacker with a copy of the vault less; use --kdf interactive or more',
      '--allow-weak-kdf accepts it anyway (for tests, or a machine that cannot spare the memory)',
    ]);
  }
  return p;
}
