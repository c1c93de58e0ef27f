// Environment variable names a secret may be injected as.
export const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;

/** Targets that would let a value change how the child runs rather than what it reads. */
const DANGEROUS = new Set(['LD_PRELOAD', 'LD_LIBRARY_PATH', 'LD_AUDIT', 'NODE_OPTIONS', 'PATH', 'BASH_ENV', 'ENV', 'IFS', 'PYTHONSTARTUP', 'PYTHONPATH']);

/** Why a name cannot be a target, or null when it can. */
export function envNameProblem(name: string): string | null {
  if (!ENV_NAME.test(name)) return `"${name.slice(0, 64)}" is not a valid variable name (A-Z, 0-9, _; not starting with a digit)`;
  if (DANGEROUS.has(name) || name.startsWith('DYLD_')) return `${name} cannot receive a secret: it changes how programs run`;
  return null;
}

/** "binance-main" -> "BINANCE_MAIN". */
export function envPrefix(entryName: string): string {
  return entryName.toUpperCase().replace(/[-.]/g, '_');
}

const FIELD_SUFFIX: Record<string, string> = { apiKey: 'API_KEY', apiSecret: 'API_SECRET', passphrase: 'API_PASSPHRASE', privateKey: 'PRIVATE_KEY' };

/** The variable a field is injected as unless mapped: binance-main + apiKey -> BINANCE_MAIN_API_KEY. */
export function defaultEnvName(entryName: string, field: string): string {
  const suffix = FIELD_SUFFIX[field] ?? field.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
  return `${envPrefix(entryName)}_${suffix}`;
}
