// vault verify: asks each key's exchange, with the key itself and a read-only endpoint, what the
// key can do and from where; records the answer and its time in the entry and says how it differs
// from what was declared. `vault check` then applies the exchange's answer (domain/schedule.ts).
import { EXIT, ExchangeRefusedError, ExchangeUnreachableError, VaultError } from '../errors';
import { differences, KeyFacts } from '../domain/key-facts';
import { alert } from './alerts';
import { recordRelease } from './audit-writer';
import { findEntry } from './entries';
import type { AppContext, ExchangeVerifier } from './ports';
import { mutate, openSession, unlockForWrite } from './session';

export type VerifyState = 'verified' | 'unavailable' | 'failed';

export interface VerifyRow {
  name: string;
  exchange: string;
  state: VerifyState;
  facts?: KeyFacts;
  /** How the answer differs from the declaration. */
  differences: string[];
  /** Why nothing was asked (unavailable), or what went wrong (failed): one line, no secrets. */
  reason?: string;
  status: number;
}

/** The run's exit status: 12 when an exchange refused a key, else 13 when one could not be
 *  reached, else the first other failure's, else 0. */
function statusOf(rows: VerifyRow[]): number {
  if (rows.some((r) => r.status === EXIT.exchangeRefused)) return EXIT.exchangeRefused;
  if (rows.some((r) => r.status === EXIT.exchangeUnreachable)) return EXIT.exchangeUnreachable;
  return rows.find((r) => r.status !== EXIT.ok)?.status ?? EXIT.ok;
}

export async function verifyKeys(ctx: AppContext, verifier: ExchangeVerifier, names: string[]): Promise<{ rows: VerifyRow[]; status: number }> {
  const s = await openSession(ctx);
  const entries = names.length ? [...new Set(names)].map((n) => findEntry(s.doc, n)) : [...s.doc.entries.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  const rows: VerifyRow[] = entries.map((e) => {
    const why = verifier.unavailable(e.exchange);
    return { name: e.name, exchange: e.exchange, state: why ? 'unavailable' : 'verified', differences: [], status: EXIT.ok, ...(why && { reason: why }) };
  });
  const asked = entries.filter((_, i) => rows[i]!.state === 'verified');
  if (!asked.length) return { rows, status: EXIT.ok };
  // Everything that would make the answers unrecordable is refused before a key leaves the
  // machine: a run the options cannot make, an unlock that opens some scopes only, a vault
  // file the write cannot replace.
  verifier.prepare(asked.map((e) => e.exchange));
  const keys = await unlockForWrite(ctx);
  ctx.vault.checkWritable?.();
  // The keys sign requests that leave this machine: recorded first, as a release is.
  await recordRelease(ctx, s.dataKey, { cmd: 'verify', entries: asked.map((e) => ({ entry: e.name, fields: Object.keys(e.secrets).sort() })) });
  const keyOf = new Map<string, string | undefined>();
  // One at a time: exchanges limit request rates per account, and a person reads the answers in order.
  for (const [i, e] of entries.entries()) {
    const row = rows[i]!;
    if (row.state !== 'verified') continue;
    keyOf.set(e.name, e.secrets.apiKey?.reveal());
    try {
      row.facts = await verifier.verify({ exchange: e.exchange, secrets: e.secrets });
      row.differences = differences(e, row.facts);
    } catch (err) {
      // One entry's failure is that entry's row; the others are still asked and recorded.
      const known = err instanceof VaultError;
      row.state = 'failed';
      row.reason = known ? err.message : `${e.exchange}: answered in a shape it does not document; nothing was changed`;
      row.status = known ? err.exitCode || EXIT.failure : EXIT.exchangeUnreachable;
      delete row.facts;
      row.differences = [];
    }
  }
  const refusedRows = rows.filter((r) => r.status === EXIT.exchangeRefused);
  // A refused key is a bot that is down (revoked, expired, IP list changed): a person must know.
  if (refusedRows.length) await alert(ctx, s, 'keys-refused', { entries: refusedRows.map((r) => ({ entry: r.name, exchange: r.exchange, reason: r.reason })) });
  const answered = rows.filter((r) => r.facts);
  let status = statusOf(rows);
  if (answered.length) {
    try {
      await record(ctx, answered, keyOf, keys);
    } catch (err) {
      // The answers were got at the cost of a request each: shown even when they cannot be kept.
      if (!(err instanceof VaultError)) throw err;
      ctx.notices.warn(`the answers are shown but not recorded: ${err.message}`);
      if (status === EXIT.ok) status = err.exitCode || EXIT.failure;
    }
  }
  return { rows, status };
}

async function record(ctx: AppContext, answered: VerifyRow[], keyOf: Map<string, string | undefined>, keys: Awaited<ReturnType<typeof unlockForWrite>>): Promise<void> {
  await mutate(ctx, (w) => {
    for (const r of answered) {
      const e = w.doc.entries.get(r.name);
      // Rotated or removed meanwhile: the answer was about a key the entry no longer holds.
      if (!e || e.secrets.apiKey?.reveal() !== keyOf.get(r.name)) {
        ctx.notices.warn(`${r.name} changed while its exchange was asked; the answer is shown but not recorded`);
        continue;
      }
      e.verified = r.facts;
    }
  }, keys);
}
