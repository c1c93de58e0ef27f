// vault rollback: an earlier version becomes active again.
import { Version } from '../domain/entry';
import { rollback } from '../domain/versions';
import { findEntry } from './entries';
import { AppContext, mutate } from './session';

export async function rollbackEntry(ctx: AppContext, name: string, to?: number): Promise<Version> {
  return mutate(ctx, (s) => rollback(findEntry(s.doc, name), to, ctx.clock.now()));
}
