// vault add from start to end: the exchange (asked for on a terminal when missing), the unlock
// (a wrong passphrase fails before anyone types three secrets), the secret fields, the
// permissions (asked for on a terminal when not given), then the new entry is stored.
import { NeedTerminalError, UsageError } from '../errors';
import { Entry } from '../domain/entry';
import { EXCHANGE_IDS, EXCHANGES, ExchangeId } from '../domain/exchanges';
import { Secret } from '../domain/secret';
import { addEntry, EntryMeta, validateSecrets } from './entries';
import { generateSecret } from './generate';
import type { AppContext } from './ports';
import { unlockForWrite } from './session';

export interface AddInput {
  name: string;
  /** Asked for on a terminal when absent. */
  exchange?: ExchangeId;
  meta: EntryMeta;
  /** --generate-passphrase: the API passphrase is generated here, stored, and returned to be shown once. */
  generatePassphrase: boolean;
  /** --scope: the scope the entry is sealed under (default: the default scope). */
  scope?: string;
}

/** Reads the secret fields of a key for this exchange, except those in `skip` (given another way). */
export type FieldReader = (exchange: ExchangeId, skip: string[]) => Promise<Record<string, Secret>>;

export async function addNewEntry(ctx: AppContext, input: AddInput, readFields: FieldReader): Promise<{ entry: Entry; generated?: string }> {
  const prompter = ctx.unlocker.prompter;
  let exchange = input.exchange;
  if (!exchange) {
    if (!prompter) throw new NeedTerminalError('which exchange is the key for?', ['give it with --exchange ID']);
    exchange = (await prompter.choose('Exchange', EXCHANGE_IDS.map((id) => ({ value: id, name: EXCHANGES[id].title })))) as ExchangeId;
  }
  await unlockForWrite(ctx);
  let generated: string | undefined;
  if (input.generatePassphrase) {
    if (!EXCHANGES[exchange].required.some((alts) => alts.includes('passphrase'))) throw new UsageError(`${EXCHANGES[exchange].title} keys have no API passphrase`);
    generated = generateSecret(24, 'symbols');
  }
  const secrets = await readFields(exchange, generated ? ['passphrase'] : []);
  if (generated) {
    if (secrets.passphrase) throw new UsageError('--generate-passphrase, but a passphrase was given too');
    secrets.passphrase = new Secret(generated);
  }
  // Checked as soon as they are in: a shape warning comes before any further question and
  // before the entry is saved, while the person can still stop (Ctrl-C) and fix the paste.
  for (const w of validateSecrets(exchange, secrets)) ctx.notices.warn(w);
  // What the exchange needs (the key) first; then how it may be used.
  const meta = { ...input.meta };
  if (meta.permissions === undefined && prompter) {
    const own = Object.keys(EXCHANGES[exchange].permissions);
    const terms = own.length ? own : ['read', 'trade', 'futures', 'margin', 'withdraw', 'transfer'];
    const chosen = await prompter.chooseMany(`Permissions of this key on ${EXCHANGES[exchange].title} (space to select)`, terms.map((t) => ({ value: t, name: t })));
    if (chosen.length) meta.permissions = chosen;
  }
  const entry = await addEntry(ctx, input.name, exchange, meta, secrets, { secretsChecked: true, ...(input.scope && { scope: input.scope }) });
  return { entry, ...(generated && { generated }) };
}
