// vault export: the entries in clear text, recorded in the audit log before they are released.
import { UsageError } from '../errors';
import { DEFAULT_SCOPE } from '../format/header';
import { refuseNul } from '../domain/entry';
import { ExportBundle } from '../domain/export-format';
import { recordRelease } from './audit-writer';
import { findEntry } from './entries';
import type { AppContext } from './ports';
import { openSession } from './session';

/** The entries rendered by `render` (which may refuse a value), logged only once it has
 *  succeeded. A whole-vault export (all) carries the profiles and settings too. */
export async function exportEntries(ctx: AppContext, names: string[], all: boolean, render: (bundle: ExportBundle) => string): Promise<{ entries: ExportBundle['entries']; text: string }> {
  const s = await openSession(ctx);
  const entries = all ? [...s.doc.entries.values()] : names.map((n) => findEntry(s.doc, n));
  if (!entries.length) throw new UsageError('nothing to export');
  for (const e of entries) for (const [field, v] of Object.entries(e.secrets)) refuseNul(e.name, field, v);
  // Recipient names belong to this file's key slots, which an export does not carry.
  const { recipients: _slotNames, ...config } = s.doc.config;
  const whole = all ? { profiles: [...s.doc.profiles.values()], ...(Object.keys(config).length && { config }) } : {};
  // Each entry's scope by name, so that an import puts it back where it was.
  const scopes = new Map<string, string>();
  for (const e of entries) {
    const at = s.v2?.find(e.name);
    if (at && at.scope !== DEFAULT_SCOPE) scopes.set(e.name, s.header.scopes.find((x) => x.id === at.scope)!.name);
  }
  const text = render({ entries, ...whole, scopes });
  // Earlier versions leave too: the record names their fields with the current ones.
  await recordRelease(ctx, s.dataKey, { cmd: 'export', entries: entries.map((e) => ({ entry: e.name, fields: Object.keys(e.secrets).sort() })) });
  return { entries, text };
}
