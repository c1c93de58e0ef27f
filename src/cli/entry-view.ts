// How an entry is shown: metadata in full, secret values masked. The JSON shape here is the
// documented one for `list --json` and `show --json`.
import { Entry, printable, scopesOfEntry } from '../domain/entry';
import { defaultEnvName } from '../domain/env-names';
import { EXCHANGES } from '../domain/exchanges';
import { DueInfo } from '../domain/schedule';
import { Secret } from '../domain/secret';
import { isoDay } from '../domain/time';
import { durationText } from '../domain/overlap';

/** Long values show their last 4 characters; short ones (a passphrase) show nothing. */
export function maskValue(v: Secret): string {
  const s = v.reveal();
  if (s.startsWith('-----BEGIN ')) {
    const first = s.split('\n', 1)[0]!.trim();
    return `${first} ... (${s.split('\n').filter(Boolean).length} lines)`;
  }
  return s.length >= 16 ? `********${s.slice(-4)}` : '********';
}

export function entryJson(e: Entry) {
  return {
    name: e.name,
    exchange: e.exchange,
    label: e.label ?? null,
    account: e.account ?? null,
    permissions: e.permissions,
    scopes: scopesOfEntry(e),
    ips: e.ips,
    created: e.created,
    updated: e.updated,
    expires: e.expires ?? null,
    notes: e.notes ?? null,
    version: e.version ?? 1,
    rotateEveryDays: e.rotation?.everyDays ?? null,
    warnBeforeDays: e.rotation?.warnDays ?? null,
    rotated: e.rotated ?? null,
    earlierVersions: e.history?.length ?? 0,
    rotateHook: e.rotation?.hook ?? null,
    revokeHook: e.rotation?.revokeHook ?? null,
    restart: e.rotation?.restart ?? null,
    revokeAfter: e.rotation?.revokeAfterMs === undefined ? null : durationText(e.rotation.revokeAfterMs),
    revokeWhen: e.rotation?.revokeWhen ?? null,
    via: e.rotation?.via ?? null,
    fields: Object.keys(e.secrets).sort(),
    verified: e.verified ? { ...e.verified } : null,
    env: Object.fromEntries(Object.keys(e.secrets).sort().map((f) => [f, e.env[f] ?? defaultEnvName(e.name, f)])),
    // Only when set: readable by a removed recipient until rotated (vault recipient rm).
    ...(e.exposed && { exposed: { at: e.exposed.at, by: e.exposed.by } }),
  };
}

export function rotationJson(d: DueInfo) {
  return { state: d.state, due: d.rule ? isoDay(d.rule.due) : null, reason: d.rule?.reason ?? null };
}

export function entryLines(e: Entry): [string, string][] {
  const j = entryJson(e);
  const rows: [string, string][] = [
    ['name', e.name],
    ['exchange', EXCHANGES[e.exchange].title],
  ];
  if (e.label) rows.push(['label', e.label]);
  if (e.account) rows.push(['account', e.account]);
  rows.push(['permissions', e.permissions.length ? `${e.permissions.join(', ')} (${j.scopes.join(', ')})` : 'not recorded']);
  rows.push(['ip allow-list', e.ips.length ? e.ips.join(', ') : 'none']);
  rows.push(['created', e.created.slice(0, 10)]);
  rows.push(['expires', e.expires ?? 'not set']);
  if (e.notes) rows.push(['notes', e.notes]);
  // The schedule and hooks (the vault-wide defaults apply when the entry has none: vault config).
  if (e.rotation?.everyDays !== undefined) rows.push(['rotate every', `${e.rotation.everyDays}d${e.rotation.warnDays !== undefined ? `, warn ${e.rotation.warnDays}d before` : ''}`]);
  else if (e.rotation?.warnDays !== undefined) rows.push(['warn before', `${e.rotation.warnDays}d`]);
  if (e.rotation?.hook) rows.push(['rotate hook', e.rotation.hook]);
  if (e.rotation?.revokeHook) rows.push(['revoke hook', e.rotation.revokeHook]);
  if (e.exposed) rows.push(['exposed', `since ${e.exposed.at.slice(0, 10)} to removed recipient ${e.exposed.by.join(', ')}: rotate it on the exchange`]);
  if (e.rotation?.via) rows.push(['rotated via', `${e.rotation.via} (master key)`]);
  if (e.rotation?.restart) rows.push(['restart', JSON.stringify(e.rotation.restart)]);
  if (e.rotation?.revokeAfterMs !== undefined || e.rotation?.revokeWhen) rows.push(['old key kept', `${j.revokeAfter ?? 'vault default'}, revoke when ${j.revokeWhen ?? 'vault default'}`]);
  if (e.version && e.version > 1) rows.push(['version', `${e.version}, since ${(e.rotated ?? e.created).slice(0, 10)}${e.history?.length ? ` (${e.history.length} earlier kept)` : ''}`]);
  if (e.verified) {
    const v = e.verified;
    // The exchange's text, escaped: a vault written before its answers were checked may hold it raw.
    const ips = v.ipRestricted === null ? 'not reported' : v.ipRestricted ? (v.ips?.map(printable).join(', ') ?? 'yes') : 'none';
    rows.push(['exchange says', `${v.permissions.map(printable).join(', ') || 'no permissions'}; IP allow-list: ${ips}${v.expiresAt ? `; expires ${printable(v.expiresAt.slice(0, 10))}` : ''} (vault verify, ${printable(v.checkedAt.slice(0, 16).replace('T', ' '))} UTC)`]);
  }
  for (const f of j.fields) rows.push([f, `${maskValue(e.secrets[f]!)}  -> $${j.env[f]}`]);
  return rows;
}
