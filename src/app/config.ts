// vault config: vault-wide settings kept inside the encrypted vault.
import { UsageError } from '../errors';
import { VaultConfig } from '../domain/document';
import { AppContext, mutate, openSession } from './session';

export const CONFIG_KEYS = { 'alert-command': 'alertCommand' } as const satisfies Record<string, keyof VaultConfig>;
export type ConfigKey = keyof typeof CONFIG_KEYS;

export function configKey(name: string): ConfigKey {
  if (!(name in CONFIG_KEYS)) throw new UsageError(`unknown setting "${name.slice(0, 40)}"`, [`settings: ${Object.keys(CONFIG_KEYS).join(', ')}`]);
  return name as ConfigKey;
}

export async function readConfig(ctx: AppContext): Promise<VaultConfig> {
  return (await openSession(ctx)).doc.config;
}

/** Sets a value, or removes it when value is undefined. */
export async function writeConfig(ctx: AppContext, key: ConfigKey, value: string | undefined): Promise<void> {
  if (value !== undefined && (!value.trim() || value.length > 2000 || value.includes('\0'))) throw new UsageError(`invalid value for ${key}`);
  await mutate(ctx, (s) => {
    if (value === undefined) delete s.doc.config[CONFIG_KEYS[key]];
    else s.doc.config[CONFIG_KEYS[key]] = value;
  });
}
