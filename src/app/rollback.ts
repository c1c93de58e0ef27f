// vault rollback: an earlier version becomes active again.
import { Version } from '../domain/entry';
import { rollback } from '../domain/versions';
import { findEntry } from './entries';
import type { AppContext } from './ports';
import { mutate } from './session';

export async function rollbackEntry(ctx: AppContext, name: string, to?: number): Promise<Version> {
  return mutate(ctx, (s) => rollback(findEntry(s.doc, name), to, ctx.clock.now()));
}
