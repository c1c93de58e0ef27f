// vault exec: decide what the child gets (entries, a profile, --map, an env file), with every
// refusal made before anything runs.
import { ExecPlan, ExecRequest, planExec, refuseNested } from '../domain/exec-plan';
import { isoDay } from '../domain/time';
import { findProfile } from './profiles';
import { AppContext, openSession } from './session';

/** A request as given on the command line, optionally on top of a saved profile. */
export interface ExecInput extends ExecRequest {
  profile?: string;
}

export async function prepareExec(ctx: AppContext, input: ExecInput, parentEnv: Record<string, string | undefined>): Promise<ExecPlan> {
  refuseNested(parentEnv);
  const { doc } = await openSession(ctx);
  const p = input.profile ? findProfile(doc.profiles, input.profile) : undefined;
  return planExec(
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
}
