// vault inject: fill a bot's config template with values from the vault.
import { NotFoundError, UsageError } from '../errors';
import { assertReleasable, printable } from '../domain/entry';
import { renderTemplate, templateRefs } from '../domain/template';
import { isoDay } from '../domain/time';
import { findEntry } from './entries';
import { AppContext, openSession } from './session';

export async function renderInjected(ctx: AppContext, template: string, allowWithdraw: boolean): Promise<{ text: string; count: number }> {
  const refs = templateRefs(template);
  if (refs.length === 0) throw new UsageError('the template has no {{ vault://ENTRY/FIELD }} reference');
  const { doc } = await openSession(ctx);
  const today = isoDay(ctx.clock.now());
  // Check every reference before producing anything.
  for (const r of refs) {
    const e = findEntry(doc, r.entry);
    assertReleasable(e, allowWithdraw, today);
    if (!e.secrets[r.field]) throw new NotFoundError(`entry "${e.name}" has no field "${printable(r.field)}"`);
  }
  return { text: renderTemplate(template, (r) => doc.entries.get(r.entry)!.secrets[r.field]!.reveal()), count: refs.length };
}
