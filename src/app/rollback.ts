// vault rollback: an earlier version becomes active again.
import { Exposure, Version } from '../domain/entry';
import { rollback, rollbackTarget, versionExposure } from '../domain/versions';
import { findEntry } from './entries';
import type { AppContext } from './ports';
import { mutate, openSession } from './session';

export interface RollbackResult {
  version: Version;
  /** Set when the version brought back was readable by a removed recipient: it stays exposed. */
  exposed: Exposure | null;
  /** The version brought back was waiting to be revoked: that revoke is cancelled, and the
   *  version rolled back from (`from`) stays valid on the exchange with none planned. */
  revokeCancelled: boolean;
  from: number;
}

/**
 * Makes an earlier version active. A version a removed recipient could read keeps its mark
 * (`vault check` still exits 11): `confirm` is asked first, with what exposed it, and may refuse.
 */
export async function rollbackEntry(ctx: AppContext, name: string, to: number | undefined, confirm: (version: number, exposed: Exposure) => Promise<boolean> = async () => true): Promise<RollbackResult | null> {
  const e = findEntry((await openSession(ctx)).doc, name);
  const peek = rollbackTarget(e, to);
  const exposed = versionExposure(e, peek);
  if (exposed && !(await confirm(peek.n, exposed))) return null;
  return mutate(ctx, (s) => {
    const e = findEntry(s.doc, name);
    const from = e.version ?? 1;
    const revokeCancelled = Boolean(rollbackTarget(e, to).revokePending);
    const version = rollback(e, to, ctx.clock.now());
    return { version, exposed: e.exposed ?? null, revokeCancelled, from };
  });
}
