// vault inject: fill a bot's config template with values from the vault.
import { NotFoundError, UsageError } from '../errors';
import { assertReleasable, printable, refuseNul } from '../domain/entry';
import { fillTemplate, TemplateFormat } from '../domain/inject-format';
import { templatePlaceholders } from '../domain/template';
import { isoDay } from '../domain/time';
import { findEntry } from './entries';
import { recordRelease } from './audit-writer';
import type { AppContext } from './ports';
import { openSession } from './session';

/** The filled template, checked by parsing it back (see inject-format.ts); logged only then. */
export async function renderInjected(ctx: AppContext, template: string, format: TemplateFormat, allowWithdraw: boolean): Promise<{ text: string; count: number }> {
  const refs = templatePlaceholders(template);
  if (refs.length === 0) throw new UsageError('the template has no {{ vault://ENTRY/FIELD }} reference');
  const s = await openSession(ctx);
  const { doc } = s;
  const today = isoDay(ctx.clock.now());
  // Check every reference before producing anything.
  for (const r of refs) {
    const e = findEntry(doc, r.entry);
    assertReleasable(e, allowWithdraw, today);
    if (!e.secrets[r.field]) throw new NotFoundError(`entry "${e.name}" has no field "${printable(r.field)}"`);
    refuseNul(e.name, r.field, e.secrets[r.field]!);
  }
  const text = fillTemplate(template, format, refs, refs.map((r) => doc.entries.get(r.entry)!.secrets[r.field]!.reveal()));
  const entries = [...new Set(refs.map((r) => r.entry))].map((entry) => ({ entry, fields: [...new Set(refs.filter((r) => r.entry === entry).map((r) => r.field))].sort() }));
  await recordRelease(ctx, s.dataKey, { cmd: 'inject', entries });
  return { text, count: refs.length };
}
