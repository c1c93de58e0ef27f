// vault exec: decide what the child gets (entries, a profile, --map, an env file), with every
// refusal made before anything runs; record the start, run the program, record its end.
import * as path from 'node:path';
import { EXIT, ProgramNotRunnableError, StorageError, UsageError, VaultError } from '../errors';
import { childEnv, ExecPlan, ExecRequest, planExec, refuseNested } from '../domain/exec-plan';
import { isoDay } from '../domain/time';
import { recordRelease } from './audit-writer';
import type { AppContext, ChildRunner, RunHandle } from './ports';
import { findProfile } from './profiles';
import { openSession, Session } from './session';

/** A request as given on the command line, optionally on top of a saved profile. */
export interface ExecInput extends ExecRequest {
  profile?: string;
}

async function prepareExec(ctx: AppContext, input: ExecInput, parentEnv: Record<string, string | undefined>): Promise<{ plan: ExecPlan; session: Session }> {
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
      ...((p?.files || input.files) && { files: { ...(p?.files ?? {}), ...input.files } }),
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
  for (const v of [...plan.vars, ...plan.files]) by.set(v.entry, [...(by.get(v.entry) ?? []), v.field]);
  return [...by].map(([entry, fields]) => ({ entry, fields: fields.sort() }));
}

/**
 * Records the run (this process, and the versions it hands out) so a rotation does not
 * revoke a key it still holds. A run that cannot be recorded still runs, with a warning: its
 * old key is then kept only for the rotation's grace window.
 */
function trackRun(ctx: AppContext, s: Session, plan: ExecPlan, program: string): RunHandle | undefined {
  if (!ctx.runs) return undefined;
  const entries = released(plan).map(({ entry }) => ({ entry, version: s.doc.entries.get(entry)?.version ?? 1 }));
  if (!entries.length) return undefined;
  try {
    return ctx.runs.begin({ program, entries });
  } catch (err) {
    if (!(err instanceof VaultError)) throw err;
    ctx.notices.warn(`${err.message}: a rotation will keep the old key only for its grace window`);
    return undefined;
  }
}

/** The exec record of a run with no wrapper, hence no end record. */
export const NO_WRAPPER = 'no-wrapper';

/** Logged before the program starts; if it cannot be written, the program must not start. */
function recordExecStart(ctx: AppContext, s: Session, plan: ExecPlan, program: string, replaced = false): Promise<number> {
  // A start that will have no end record says so (result: no-wrapper), so it does not read as a crash.
  return recordRelease(ctx, s.dataKey, { cmd: 'exec', program, entries: released(plan), ...(replaced && { result: NO_WRAPPER }) });
}

async function recordExecEnd(ctx: AppContext, s: Session, startSeq: number, program: string, status: number): Promise<void> {
  await recordRelease(ctx, s.dataKey, { cmd: 'exec-exit', program, ref: startSeq, result: status });
}

/** vault exec, as given: what to release, and the program (everything after "--"). */
export interface ExecCommand extends ExecInput {
  argv: string[];
  /** --dry-run: plan only; nothing is released or run. */
  dryRun: boolean;
  /** false with --no-wrapper: this process becomes the program (no end record). */
  wrapper: boolean;
}

/** A variable the child would get, and where it comes from (names only). */
export interface PlannedRow {
  name: string;
  source: string;
}

export type ExecResult =
  | { dryRun: true; rows: PlannedRow[]; status: typeof EXIT.ok }
  /** The program ran: its status, and whether its end made it into the audit log. */
  | { dryRun: false; status: number; endRecorded: boolean };

/**
 * vault exec from start to end: find the program (a typo costs no unlock), plan what it gets
 * (every refusal before anything runs), record the start (nothing runs if that fails), run
 * it through the runner, record its end. A failure to record the end never changes the
 * status: the program has run, and its status is what the caller needs; a notice says the
 * end is missing from the log.
 */
export async function execProgram(ctx: AppContext, cmd: ExecCommand, runner: ChildRunner, parentEnv: Record<string, string | undefined>): Promise<ExecResult> {
  if (!cmd.dryRun && cmd.argv.length === 0) throw new UsageError('no program to run', ['put it after --, e.g. vault exec binance-main -- python bot.py']);
  const found = cmd.argv.length ? runner.find(cmd.argv[0]!) : undefined;
  if (found && 'problem' in found) {
    throw found.problem === 'not-found'
      ? new ProgramNotRunnableError(`command not found: ${cmd.argv[0]}`, EXIT.commandNotFound)
      : new ProgramNotRunnableError(`not executable: ${found.file}`, EXIT.notExecutable);
  }
  const { plan, session } = await prepareExec(ctx, cmd, parentEnv);
  if (cmd.dryRun) {
    const rows = [...plan.vars.map((v) => ({ name: v.name, source: `${v.entry}.${v.field}` })), ...plan.files.map((f) => ({ name: f.name, source: `file with ${f.entry}.${f.field}` })), ...plan.plain.map((p) => ({ name: p.name, source: 'plain value (env file)' }))];
    return { dryRun: true, rows, status: EXIT.ok };
  }
  const program = { file: found!.file, argv: cmd.argv };
  const name = path.basename(cmd.argv[0]!);
  if (!cmd.wrapper) {
    if (plan.files.length) throw new UsageError('--no-wrapper cannot hand over files (--file, or the profile\'s): no process stays to remove them', ['drop --no-wrapper']);
    await recordExecStart(ctx, session, plan, name, true);
    // The program takes over this process (same pid, same start time): its record stays
    // until it ends, and is cleared by the next reader that finds it dead.
    trackRun(ctx, session, plan, name);
    return runner.replace(program, childEnv(plan));
  }
  // Secret files exist only around the program's run: made first (a failure there is an error
  // with nothing started and nothing logged; the folder is ours alone until the program gets
  // its path), removed as soon as the program ends, before the end record (which may fail).
  if (plan.files.length && !runner.secretFiles) throw new UsageError('--file is not available here');
  const made = plan.files.length ? runner.secretFiles!(plan.files.map((f) => ({ name: f.name, value: f.value.reveal() }))) : undefined;
  let seq: number;
  let status: number;
  let run: RunHandle | undefined;
  try {
    seq = await recordExecStart(ctx, session, plan, name);
    run = trackRun(ctx, session, plan, name);
    status = await runner.run(program, childEnv(plan, made?.paths), plan.vars.map((v) => v.name));
  } finally {
    made?.remove();
    run?.end();
  }
  try {
    await recordExecEnd(ctx, session, seq, name, status);
    return { dryRun: false, status, endRecorded: true };
  } catch (err) {
    // "nothing was released" would be wrong here: the program has run. Only what failed is said.
    const reason = err instanceof StorageError ? err.problem : err instanceof VaultError ? err.message : 'an unexpected error';
    ctx.notices.warn(`the end of the program (exit status ${status}) was not recorded in the audit log: ${reason}`);
    return { dryRun: false, status, endRecorded: false };
  }
}
