// vault inject: fill a bot's config template with values from the vault.
import { NotFoundError, UsageError } from '../errors';
import { assertReleasable, printable } from '../domain/entry';
import { renderTemplate, templateRefs } from '../domain/template';
import { isoDay } from '../domain/time';
import { findEntry } from './entries';
import { recordRelease } from './audit-log';
import { AppContext, openSession } from './session';

export async function renderInjected(ctx: AppContext, template: string, allowWithdraw: boolean): Promise<{ text: string; count: number }> {
  const refs = templateRefs(template);
  if (refs.length === 0) throw new UsageError('the template has no {{ vault://ENTRY/FIELD }} reference');
  const s = await openSession(ctx);
  const { doc } = s;
  const today = isoDay(ctx.clock.now());
  // Check every reference before producing anything.
  for (const r of refs) {
    const e = findEntry(doc, r.entry);
    assertReleasable(e, allowWithdraw, today);
    if (!e.secrets[r.field]) throw new NotFoundError(`entry "${e.name}" has no field "${printable(r.field)}"`);
  }
  const entries = [...new Set(refs.map((r) => r.entry))].map((entry) => ({ entry, fields: [...new Set(refs.filter((r) => r.entry === entry).map((r) => r.field))].sort() }));
  await recordRelease(ctx, s.dataKey, { cmd: 'inject', entries });
  return { text: renderTemplate(template, (r) => doc.entries.get(r.entry)!.secrets[r.field]!.reveal()), count: refs.length };
}
