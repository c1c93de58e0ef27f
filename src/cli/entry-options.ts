// Metadata flags shared by add and edit.
import { Command } from 'commander';
import { UsageError } from '../errors';
import { EntryMeta } from '../app/entries';
import { collect } from './option-helpers';
import { canonicalField } from '../domain/exchanges';

const splitList = (items: string[]) => items.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);

export function addMetaOptions(cmd: Command): Command {
  return cmd
    .option('--label <text>', 'a description for you')
    .option('--account <name>', 'the account or sub-account the key belongs to')
    .option('--permissions <list>', "comma-separated, in the exchange's terms or as read,trade,futures,margin,withdraw,transfer")
    .option('--ip <address>', 'an allowed IP address or CIDR range set on the exchange (repeatable, or comma-separated)', collect)
    .option('--expires <when>', 'when the key expires: YYYY-MM-DD, a duration such as 90d, or never')
    .option('--notes <text>', 'free text')
    .option('--env <FIELD=VAR>', 'inject FIELD as variable VAR instead of the default name (repeatable)', collect)
    .option('--rotate-every <duration>', 'rotate this key every so often, e.g. 90d (never: no schedule)')
    .option('--warn-before <duration>', 'report it as due this long before, e.g. 14d')
    .option('--rotate-hook <command>', 'command that makes a new key (credential JSON on stdin, new one on stdout); none to clear')
    .option('--revoke-hook <command>', 'command that deletes the old key on the exchange (old credential JSON on stdin); none to clear')
    .option('--restart <command>', 'after a rotation, restart the bots using this key: a command run without a shell (words, or a JSON array); none to clear')
    .option('--revoke-after <duration>', 'after a rotation, keep the old key valid up to this long (0, 30m, 24h, 2d); default to clear')
    .option('--revoke-when <when>', 'idle, window or both (see vault rotate --help); default to clear');
}

interface MetaFlags {
  label?: string;
  account?: string;
  permissions?: string;
  ip?: string[];
  expires?: string;
  notes?: string;
  env?: string[];
  rotateEvery?: string;
  warnBefore?: string;
  rotateHook?: string;
  revokeHook?: string;
  restart?: string;
  revokeAfter?: string;
  revokeWhen?: string;
}

export function metaFromOptions(o: MetaFlags): EntryMeta {
  const meta: EntryMeta = {};
  if (o.label !== undefined) meta.label = o.label;
  if (o.account !== undefined) meta.account = o.account;
  if (o.notes !== undefined) meta.notes = o.notes;
  if (o.expires !== undefined) meta.expires = o.expires;
  for (const k of ['rotateEvery', 'warnBefore', 'rotateHook', 'revokeHook', 'restart', 'revokeAfter', 'revokeWhen'] as const) if (o[k] !== undefined) meta[k] = o[k];
  if (o.permissions !== undefined) meta.permissions = splitList([o.permissions]);
  if (o.ip?.length) meta.ips = splitList(o.ip);
  if (o.env?.length) {
    meta.env = {};
    for (const pair of o.env) {
      const m = /^([^=]+)=(.+)$/.exec(pair);
      if (!m) throw new UsageError('--env takes FIELD=VAR, e.g. apiKey=BINANCE_KEY');
      meta.env[canonicalField(m[1]!)] = m[2]!;
    }
  }
  return meta;
}
