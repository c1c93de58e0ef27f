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
/** The slot count is one byte. An X25519 slot granted one scope is 192 bytes (each more scope
 *  adds 36), so 255 hosts of one or two scopes each fit the 64 KiB header with room to spare;
 *  a grant that would not fit is refused when it is made (headerFits). */
export const MAX_SLOTS = 255;
export const MAX_SCOPES = 64;

/** Whether an encoded v2 header (preamble included) is within what readers accept. */
export function headerFits(encodedBytes: number): boolean {
  return encodedBytes - PREAMBLE_BYTES <= MAX_HEADER_BYTES_V2;
}
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
  /** Argon2id lanes (parallelism). Absent means 1: format v1 has no field for it, and only
   *  the native implementation computes more than one (format v2 stores it). */
  lanes?: number;
}

/** The lane count of parameters that may predate the field. */
export function lanesOf(p: KdfParams): number {
  return p.lanes ?? 1;
}

/** Format v1's presets (libsodium's interactive, moderate, sensitive; one lane). */
export const KDF_PRESETS_V1 = {
  interactive: { alg: KDF_ARGON2ID13, opsLimit: 2, memKiB: (64 * MiB) / 1024 },
  moderate: { alg: KDF_ARGON2ID13, opsLimit: 3, memKiB: (256 * MiB) / 1024 },
  sensitive: { alg: KDF_ARGON2ID13, opsLimit: 4, memKiB: (1024 * MiB) / 1024 },
} as const satisfies Record<string, KdfParams>;
export type KdfPreset = keyof typeof KDF_PRESETS_V1;
export const DEFAULT_KDF: KdfPreset = 'moderate';

/**
 * The presets for format v2, whose passphrase slot stores the lane count (v1 cannot: a v1
 * vault is always one lane). Same memory as v1's, twice the passes or more, in 4 lanes that
 * the native Argon2id computes in parallel: each guess costs an attacker at least twice the
 * memory x passes of v1's preset of the same name, while the unlock on a 2-core machine takes
 * no longer than v1's through WebAssembly (bench/kdf.mjs measures it; figures in
 * BENCHMARKS.md). New vaults (format 2) use these.
 */
export const KDF_PRESETS = {
  interactive: { alg: KDF_ARGON2ID13, opsLimit: 4, memKiB: (64 * MiB) / 1024, lanes: 4 },
  moderate: { alg: KDF_ARGON2ID13, opsLimit: 6, memKiB: (256 * MiB) / 1024, lanes: 4 },
  sensitive: { alg: KDF_ARGON2ID13, opsLimit: 8, memKiB: (1024 * MiB) / 1024, lanes: 4 },
} as const satisfies Record<KdfPreset, KdfParams>;

/** OWASP's minimum for Argon2id. */
export const KDF_FLOOR = { opsLimit: 2, memKiB: 19 * 1024 };
/** The sensitive preset is the most memory accepted (the WASM build cannot allocate 2 GiB);
 *  ten passes bound the time a hostile header can cost. */
export const KDF_CAP = { opsLimit: 10, memKiB: 1024 * 1024 };
/** RFC 9106 allows up to 2^24 - 1 lanes; more than 16 helps no machine this runs on, and each
 *  lane needs at least 8 KiB of the memory (far below the floor here). */
export const MAX_LANES = 16;

/** Returns why the parameters are unacceptable, or null when they are within bounds. */
export function kdfProblem(p: KdfParams): string | null {
  if (p.alg !== KDF_ARGON2ID13) return `unknown kdf algorithm ${p.alg}`;
  if (p.opsLimit < KDF_FLOOR.opsLimit || p.memKiB < KDF_FLOOR.memKiB) return 'kdf parameters below the minimum (19 MiB, 2 passes)';
  if (p.opsLimit > KDF_CAP.opsLimit || p.memKiB > KDF_CAP.memKiB) return 'kdf parameters above the maximum (1024 MiB, 10 passes)';
  const lanes = lanesOf(p);
  if (!Number.isInteger(lanes) || lanes < 1 || lanes > MAX_LANES) return `kdf lane count ${lanes} outside 1 to ${MAX_LANES}`;
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
  const i = KDF_PRESETS_V1.interactive;
  return p.memKiB < i.memKiB || p.opsLimit < i.opsLimit;
}

export function describeKdf(p: KdfParams): string {
  const lanes = lanesOf(p);
  return `argon2id, ${p.memKiB / 1024} MiB, ${p.opsLimit} passes${lanes > 1 ? `, ${lanes} lanes` : ''}`;
}

export function presetName(p: KdfParams): KdfPreset | null {
  for (const table of [KDF_PRESETS, KDF_PRESETS_V1]) {
    for (const [name, q] of Object.entries(table)) {
      if (q.alg === p.alg && q.opsLimit === p.opsLimit && q.memKiB === p.memKiB && lanesOf(q) === lanesOf(p)) return name as KdfPreset;
    }
  }
  return null;
}
