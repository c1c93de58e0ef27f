// vault exec: decide what the child gets (entries, a profile, --map, an env file), with every
// refusal made before anything runs.
import { StorageError, VaultError } from '../errors';
import { childEnv, ExecPlan, ExecRequest, planExec, refuseNested } from '../domain/exec-plan';
import { isoDay } from '../domain/time';
import { recordRelease } from './audit-writer';
import type { ChildRunner } from './ports';
import { findProfile } from './profiles';
import { AppContext, openSession, Session } from './session';

/** A request as given on the command line, optionally on top of a saved profile. */
export interface ExecInput extends ExecRequest {
  profile?: string;
}

export async function prepareExec(ctx: AppContext, input: ExecInput, parentEnv: Record<string, string | undefined>): Promise<{ plan: ExecPlan; session: Session }> {
  refuseNested(parentEnv);
  const session = await openSession(ctx);
  const { doc } = session;
  const p = input.profile ? findProfile(doc.profiles, input.profile) : undefined;
  const plan = planExec(
    doc,
    {
      entries: [...new Set([...(p?.entries ?? []), ...input.entries])],
      // Command-line mappings win over the profile's.
      map: { ...(p?.map ?? {}), ...input.map },
      ...(input.envFile && { envFile: input.envFile }),
      pristine: input.pristine || Boolean(p?.pristine),
      keep: [...new Set([...(p?.keep ?? []), ...input.keep])],
      allowWithdraw: input.allowWithdraw || Boolean(p?.allowWithdraw),
      override: input.override,
    },
    parentEnv,
    isoDay(ctx.clock.now()),
  );
  return { plan, session };
}

/** The entries and fields a plan releases, for the audit log (names only). */
function released(plan: ExecPlan): { entry: string; fields: string[] }[] {
  const by = new Map<string, string[]>();
  for (const v of plan.vars) by.set(v.entry, [...(by.get(v.entry) ?? []), v.field]);
  return [...by].map(([entry, fields]) => ({ entry, fields: fields.sort() }));
}

/** The exec record of a run with no wrapper, hence no end record. */
export const NO_WRAPPER = 'no-wrapper';

/** Logged before the program starts; if it cannot be written, the program must not start. */
export function recordExecStart(ctx: AppContext, s: Session, plan: ExecPlan, program: string, replaced = false): Promise<number> {
  // A start that will have no end record says so (result: no-wrapper), so it does not read as a crash.
  return recordRelease(ctx, s.dataKey, { cmd: 'exec', program, entries: released(plan), ...(replaced && { result: NO_WRAPPER }) });
}

export async function recordExecEnd(ctx: AppContext, s: Session, startSeq: number, program: string, status: number): Promise<void> {
  await recordRelease(ctx, s.dataKey, { cmd: 'exec-exit', program, ref: startSeq, result: status });
}

/** How a run ended: the program's status, and whether its end made it into the audit log. */
export type ExecEnd = { status: number; recorded: true } | { status: number; recorded: false; reason: string };

/**
 * Records the start (nothing runs if that fails), runs the program, records its end. A
 * failure to record the end never changes the status: the program has run, and its status
 * is what the caller needs; the caller is told the end is missing from the log.
 */
export async function runExec(ctx: AppContext, s: Session, plan: ExecPlan, program: string, run: ChildRunner): Promise<ExecEnd> {
  const seq = await recordExecStart(ctx, s, plan, program);
  const status = await run(childEnv(plan));
  try {
    await recordExecEnd(ctx, s, seq, program, status);
    return { status, recorded: true };
  } catch (err) {
    // "nothing was released" would be wrong here: the program has run. Only what failed is said.
    const reason = err instanceof StorageError ? err.problem : err instanceof VaultError ? err.message : 'an unexpected error';
    return { status, recorded: false, reason };
  }
}

/** --no-wrapper: the start is recorded, then this process becomes the program; no end record. */
export async function replaceWithProgram(ctx: AppContext, s: Session, plan: ExecPlan, program: string, replace: (env: Record<string, string>) => never): Promise<never> {
  await recordExecStart(ctx, s, plan, program, true);
  return replace(childEnv(plan));
}
