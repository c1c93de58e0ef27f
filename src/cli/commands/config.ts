import { Command } from 'commander';
import { DEFAULT_WARN_DAYS } from '../../domain/schedule';
import { DEFAULT_KEEP_VERSIONS } from '../../domain/versions';
import { DEFAULT_REVOKE_AFTER_MS, DEFAULT_REVOKE_WHEN, durationText } from '../../domain/overlap';
import { CONFIG_KEYS, configKey, readConfig, writeConfig } from '../../app/config';
import { GlobalOptions, makeContext } from '../context';
import { done, json, line } from '../render';

export function registerConfig(program: Command): void {
  program
    .command('config [key] [value]')
    .description('show or change vault-wide settings (kept inside the encrypted vault)')
    .option('--unset', 'remove the setting')
    .option('--json', 'print the settings as JSON')
    .addHelpText('after', `
Settings:
  alert-command   run with an event as JSON on stdin on a failed unlock (reported at the next
                  successful unlock), a failed audit verify, a rotation failure, overdue keys
  rotate-every    default rotation period for entries without their own (e.g. 90d)
  warn-before     default warning time before a due date (default 14d)
  keep-versions   earlier versions kept per entry (default 10)
  revoke-after    after a rotation, how long the old key stays valid at most (default 24h)
  revoke-when     idle (default), window or both: what ends that window (see vault rotate --help)

Examples:
  vault config
  vault config alert-command 'mail -s "exvault alert" me@example.com'
  vault config alert-command "$PWD/examples/alert-webhook.sh"
  vault config alert-command --unset`)
    .action(async (key: string | undefined, value: string | undefined, opts, c: Command) => {
      const ctx = makeContext(c.optsWithGlobals<GlobalOptions>());
      if (key && (value !== undefined || opts.unset)) {
        const k = configKey(key);
        await writeConfig(ctx, k, opts.unset ? undefined : value);
        return done(opts.unset ? `${k} removed` : `${k} set`);
      }
      const config = await readConfig(ctx);
      const rows = Object.entries(CONFIG_KEYS).filter(([k]) => !key || k === configKey(key)).map(([k, field]) => [k, config[field] ?? null] as const);
      if (opts.json) return json(Object.fromEntries(rows));
      const show = (k: string, v: string | number) => (k === 'revoke-after' ? durationText(Number(v)) : typeof v === 'number' && k !== 'keep-versions' ? `${v}d` : `${v}`);
      // An unset key shows what is in effect instead, and says it is the default.
      const DEFAULTS: Record<string, string> = { 'warn-before': `${DEFAULT_WARN_DAYS}d (default)`, 'keep-versions': `${DEFAULT_KEEP_VERSIONS} (default)`, 'rotate-every': 'never (default: no schedule unless an entry has one)', 'alert-command': 'none (default: warnings go to standard error only)', 'revoke-after': `${durationText(DEFAULT_REVOKE_AFTER_MS)} (default)`, 'revoke-when': `${DEFAULT_REVOKE_WHEN} (default)` };
      for (const [k, v] of rows) line(`${k} = ${v === null ? DEFAULTS[k] : show(k, v)}`);
    });
}
