// Environment variable names a secret may be injected as.
export const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;

/**
 * Targets that would let a value change how the child (or a program it starts) runs rather
 * than what it reads: loaders, interpreters' start-up hooks and search paths, shells. The one
 * list; README's "Refused before anything runs" is written from it. A trailing `*` is a prefix.
 */
export const REFUSED_TARGETS: readonly string[] = [
  // Whole families: the loader, interpreters' and tools' own settings.
  'LD_*',
  'DYLD_*',
  'PYTHON*',
  'PERL*',
  'RUBY*',
  'NODE_*',
  'GIT_*',
  'BASH_*',
  'LUA_*',
  'OPENSSL_*',
  'JAVA_TOOL*',
  '_JAVA_*',
  'JDK_JAVA_*',
  // Single names: shells, the C library, helpers a program starts, where it connects through.
  'PATH',
  'IFS',
  'ENV',
  'PS4',
  'SHELLOPTS',
  'BASHOPTS',
  'PROMPT_COMMAND',
  'ZDOTDIR',
  'GCONV_PATH',
  'GLIBC_TUNABLES',
  'LOCPATH',
  'HOSTALIASES',
  'TMPDIR',
  'SSH_ASKPASS',
  'EDITOR',
  'VISUAL',
  'PAGER',
  'BROWSER',
  'PHPRC',
  'CLASSPATH',
  'HTTPS_PROXY',
  'HTTP_PROXY',
  'ALL_PROXY',
  'NO_PROXY',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'REQUESTS_CA_BUNDLE',
  'CURL_CA_BUNDLE',
];

const EXACT = new Set(REFUSED_TARGETS.filter((n) => !n.endsWith('*')));
const PREFIXES = REFUSED_TARGETS.filter((n) => n.endsWith('*')).map((n) => n.slice(0, -1));

function refusedTarget(name: string): boolean {
  return EXACT.has(name) || PREFIXES.some((p) => name.startsWith(p));
}

/** Why a name cannot be a target, or null when it can. */
export function envNameProblem(name: string): string | null {
  if (!ENV_NAME.test(name)) return `"${name.slice(0, 64)}" is not a valid variable name (A-Z, 0-9, _; not starting with a digit)`;
  if (refusedTarget(name)) return `${name} cannot receive a secret: it changes how programs run`;
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
