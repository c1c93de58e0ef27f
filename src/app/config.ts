// vault config: vault-wide settings kept inside the encrypted vault.
import { UsageError } from '../errors';
import { VaultConfig } from '../domain/document';
import { parseRevokeAfter, parseRevokeWhen } from '../domain/overlap';
import { parseDurationDays } from '../domain/time';
import type { AppContext } from './ports';
import { mutate, openSession } from './session';

export const CONFIG_KEYS = {
  'alert-command': 'alertCommand',
  'rotate-every': 'rotateEveryDays',
  'warn-before': 'warnBeforeDays',
  'keep-versions': 'keepVersions',
  'revoke-after': 'revokeAfterMs',
  'revoke-when': 'revokeWhen',
} as const satisfies Record<string, keyof VaultConfig>;
export type ConfigKey = keyof typeof CONFIG_KEYS;

export function configKey(name: string): ConfigKey {
  if (!(name in CONFIG_KEYS)) throw new UsageError(`unknown setting "${name.slice(0, 40)}"`, [`settings: ${Object.keys(CONFIG_KEYS).join(', ')}`]);
  return name as ConfigKey;
}

export async function readConfig(ctx: AppContext): Promise<VaultConfig> {
  return (await openSession(ctx)).doc.config;
}

/** Sets a value, or removes it when value is undefined. */
/** The stored form of a setting: a command as is, durations as days, keep-versions as a count. */
function parseValue(key: ConfigKey, value: string): string | number {
  if (key === 'alert-command') {
    if (!value.trim() || value.length > 2000 || value.includes('\0')) throw new UsageError('invalid alert command');
    return value;
  }
  if (key === 'revoke-after') return parseRevokeAfter(value, 'revoke-after');
  if (key === 'revoke-when') return parseRevokeWhen(value, 'revoke-when');
  if (key === 'keep-versions') {
    if (!/^\d{1,3}$/.test(value) || Number(value) < 1) throw new UsageError('keep-versions takes a whole number from 1 to 999');
    return Number(value);
  }
  const days = parseDurationDays(value);
  if (days === null) throw new UsageError(`${key} takes a duration such as 90d, 12w or 3m`);
  return days;
}

export async function writeConfig(ctx: AppContext, key: ConfigKey, value: string | undefined): Promise<void> {
  const parsed = value === undefined ? undefined : parseValue(key, value);
  await mutate(ctx, (s) => {
    const field = CONFIG_KEYS[key];
    if (parsed === undefined) delete s.doc.config[field];
    else (s.doc.config as Record<string, unknown>)[field] = parsed;
  });
}
