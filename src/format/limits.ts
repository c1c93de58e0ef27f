// Sizes and KDF bounds of formats v1 and v2. A header is untrusted until the body authenticates,
// so every number read from it is checked here before it drives an allocation or the KDF.

export const MAGIC = Uint8Array.from([0x45, 0x58, 0x56, 0x41, 0x55, 0x4c, 0x54, 0x00]); // "EXVAULT\0"
/** The version written; FORMAT_V1 is still read (and converted by `vault upgrade`). */
export const FORMAT_VERSION = 2;
export const FORMAT_V1 = 1;
export const PREAMBLE_BYTES = 14; // magic(8) + version(2) + header length(4)

export const MAX_HEADER_BYTES = 4096;
/** v2 headers hold the scope table, slots wrapping up to MAX_SCOPES keys each, and the table of contents. */
export const MAX_HEADER_BYTES_V2 = 64 * 1024;
export const MAX_SLOTS = 8;
export const MAX_SCOPES = 64;
export const MAX_SCOPE_NAME_BYTES = 64;
/** A vault larger than this is refused before it is read (10,000 entries with PEM keys fit). */
export const MAX_FILE_BYTES = 256 * 1024 * 1024;

export const KDF_ARGON2ID13 = 1;
const MiB = 1024 * 1024;

export interface KdfParams {
  alg: number;
  opsLimit: number;
  /** Memory in KiB, as stored in the header. */
  memKiB: number;
  /** Argon2id lanes (format v2 stores it; v1 implies 1). */
  lanes?: number;
}

/** Lanes this build derives with; crypto/kdf.ts takes a lane count once native Argon2id is in. */
export const MAX_KDF_LANES = 1;

/** libsodium's presets: interactive, moderate, sensitive. */
export const KDF_PRESETS = {
  interactive: { alg: KDF_ARGON2ID13, opsLimit: 2, memKiB: (64 * MiB) / 1024 },
  moderate: { alg: KDF_ARGON2ID13, opsLimit: 3, memKiB: (256 * MiB) / 1024 },
  sensitive: { alg: KDF_ARGON2ID13, opsLimit: 4, memKiB: (1024 * MiB) / 1024 },
} as const satisfies Record<string, KdfParams>;
export type KdfPreset = keyof typeof KDF_PRESETS;
export const DEFAULT_KDF: KdfPreset = 'moderate';

/** OWASP's minimum for Argon2id. */
export const KDF_FLOOR = { opsLimit: 2, memKiB: 19 * 1024 };
/** The sensitive preset is the most memory accepted (the WASM build cannot allocate 2 GiB);
 *  ten passes bound the time a hostile header can cost. */
export const KDF_CAP = { opsLimit: 10, memKiB: 1024 * 1024 };

/** Returns why the parameters are unacceptable, or null when they are within bounds. */
export function kdfProblem(p: KdfParams): string | null {
  if (p.alg !== KDF_ARGON2ID13) return `unknown kdf algorithm ${p.alg}`;
  if ((p.lanes ?? 1) < 1 || (p.lanes ?? 1) > MAX_KDF_LANES) return `unsupported kdf lane count ${p.lanes}`;
  if (p.opsLimit < KDF_FLOOR.opsLimit || p.memKiB < KDF_FLOOR.memKiB) return 'kdf parameters below the minimum (19 MiB, 2 passes)';
  if (p.opsLimit > KDF_CAP.opsLimit || p.memKiB > KDF_CAP.memKiB) return 'kdf parameters above the maximum (1024 MiB, 10 passes)';
  return null;
}

/** More work than the sensitive preset (memory x passes): said before deriving, since a file
 *  at the cap makes a wrong passphrase take tens of seconds to report. */
export function unusuallyExpensive(p: KdfParams): boolean {
  const s = KDF_PRESETS.sensitive;
  return p.memKiB * p.opsLimit > s.memKiB * s.opsLimit;
}

/** Cheaper than the interactive preset: allowed by the format, but only when asked for. */
export function weakKdf(p: KdfParams): boolean {
  const i = KDF_PRESETS.interactive;
  return p.memKiB < i.memKiB || p.opsLimit < i.opsLimit;
}

export function describeKdf(p: KdfParams): string {
  return `argon2id, ${p.memKiB / 1024} MiB, ${p.opsLimit} passes`;
}

export function presetName(p: KdfParams): KdfPreset | null {
  for (const [name, q] of Object.entries(KDF_PRESETS)) {
    if (q.alg === p.alg && q.opsLimit === p.opsLimit && q.memKiB === p.memKiB) return name as KdfPreset;
  }
  return null;
}
