// Revoking a recipient (`vault recipient rm NAME`): its slot goes, and every scope the slot
// held gets a new random key, so nothing written from then on opens with its identity. What
// that host already pulled stays readable to it (a copy of the file, the exchange keys it
// ran with): those exchange keys are marked exposed until they are rotated on the exchange.
// One write: the new keys, every record of those scopes sealed again, the remaining slots
// re-wrapped, the slot and the name removed, the marks set (and, when the audit chain's key
// changes with them, the new chain swapped in together with it).
import { formatRecipient } from '../crypto/age-x25519';
import { randomBytes } from '../crypto/random';
import { Exposure, printable } from '../domain/entry';
import { NeedTerminalError, NotFoundError, UsageError } from '../errors';
import { DEFAULT_SCOPE, Header, SCOPE_KEY_BYTES, Slot } from '../format/header';
import { makeX25519Slot, VaultKeys } from '../format/seal';
import type { KeyMeans } from '../format/slots/registry';
import type { X25519Slot } from '../format/slots/x25519';
import { backupPath, syncRepoPath } from '../storage/paths';
import { startNewChain } from './audit-writer';
import { v1BackupPath } from './upgrade';
import type { AppContext } from './ports';
import { grantScopes } from './scopes';
import { openSession, saveSession, Session, underWriteLock } from './session';

export interface RevokePlan {
  name: string;
  recipient: string;
  /** Scope names its slot held: each gets a new key. */
  scopes: string[];
  /** Entries in those scopes: every exchange key the recipient could read. */
  exposed: string[];
  /** What the host keeps, said before anything changes. */
  warning: string;
}

export interface RevokeResult extends RevokePlan {
  /** Slots re-wrapped with the new keys, by type ("passphrase", "x25519 vps-b", ...). */
  rewrapped: string[];
  /** Slots dropped because their key could not be had (the keychain item), with why. */
  dropped: string[];
  /** Set when the audit chain's key changed and a new chain was started. */
  newChain: { keptAs: string | null } | null;
  /** Remaining recipients whose own audit chain was keyed from a re-keyed scope (the lowest
   *  scope they hold): their head no longer authenticates until `vault audit new-chain` there. */
  chainsToRestart: string[];
  /** Copies beside the vault that still open with the removed identity: the file as it was
   *  before this change (vault.exv.bak), the format-1 original, a sync repository's history. */
  oldCopies: { path: string; what: string }[];
}

/** Files beside the vault that hold an earlier version of it, and what each is. */
function copiesBeside(ctx: AppContext): { path: string; what: string }[] {
  const v = ctx.vaultPath;
  const places = [
    { path: backupPath(v), what: 'the vault as it was before this change' },
    { path: v1BackupPath(v), what: 'the format-1 original kept by vault upgrade' },
    { path: syncRepoPath(v), what: 'the sync repository: every earlier version of the vault, as on its remote' },
  ];
  return places.filter((p) => ctx.vault.copyKind(p.path) !== 'none');
}

const NEED_PASSPHRASE = [
  'removing a recipient gives its scopes new keys, and the passphrase slot must be wrapped again with them',
  'give the passphrase with --passphrase-file PATH, --passphrase-fd N or EXVAULT_PASSPHRASE_FILE, or run it in a terminal',
];

function slotOf(header: Header, recipient: string): X25519Slot | undefined {
  return header.slots.find((x): x is X25519Slot => x.type === 'x25519' && formatRecipient((x as X25519Slot).recipient) === recipient);
}

/** Names in the scopes, read from their indexes (the entries themselves stay sealed). */
function namesIn(s: Session, scopes: number[]): string[] {
  if (!s.v2) return [...s.doc.entries.keys()];
  return scopes.flatMap((id) => s.v2!.index(id).names()).filter((n) => s.doc.entries.has(n)).sort();
}

function planOf(s: Session, name: string): RevokePlan & { slot: X25519Slot | undefined } {
  const named = s.doc.config.recipients ?? {};
  const recipient = named[name];
  if (recipient === undefined) throw new NotFoundError(`no recipient named "${printable(name)}"`, ['see them with: vault recipient list']);
  const slot = slotOf(s.header, recipient);
  const ids = slot?.scopes ?? [];
  const scopes = ids.map((id) => s.header.scopes.find((x) => x.id === id)?.name ?? String(id));
  const exposed = namesIn(s, ids);
  const keys = exposed.length ? `the ${exposed.length} exchange key${exposed.length === 1 ? '' : 's'} it could read (${exposed.join(', ')}) must be rotated on the exchange; they are marked exposed until then` : 'its scopes hold no exchange keys today';
  const warning = `${name}'s host still has everything it already pulled: any copy of the vault it holds keeps opening with its identity, and ${keys}. The new keys protect only what is written from now on.`;
  return { name, recipient, scopes, exposed, warning, slot };
}

/** What removing `name` would do, without changing anything (for the confirmation). */
export async function planRevoke(ctx: AppContext, name: string): Promise<RevokePlan> {
  const { slot: _slot, ...plan } = planOf(await openSession(ctx), name);
  return plan;
}

/**
 * Removes recipient `name`: re-keys the scopes its slot held and marks their entries exposed.
 * `confirm` sees the plan (after the warning is said) and may refuse: nothing is changed then.
 */
export async function revokeRecipient(ctx: AppContext, name: string, confirm: (plan: RevokePlan) => Promise<boolean>): Promise<RevokeResult | null> {
  let pass: string;
  try {
    pass = await ctx.unlocker.passphrase();
  } catch (err) {
    if (err instanceof NeedTerminalError) throw new NeedTerminalError('the passphrase is needed to remove a recipient', NEED_PASSPHRASE);
    throw err;
  }
  const pinned = { ...ctx, unlocker: ctx.unlocker.withPassphrase(pass) };
  const first = await openSession(pinned);
  const { slot: _slot, ...plan } = planOf(first, name);
  // Said before anything changes, whatever the answer.
  ctx.notices.warn(plan.warning);
  if (!(await confirm(plan))) return null;
  const keychain = ctx.unlocker.keychain;
  const means: KeyMeans = { passphrase: async () => pass, ...(keychain && { keychainRead: (account: string) => keychain.read(account) }) };
  const result = await underWriteLock(pinned, async (s) => {
    const now = pinned.clock.now().toISOString();
    const { slot, ...fresh } = planOf(s, name);
    const affected = slot ? [...slot.scopes] : [];
    const rewrapped: string[] = [];
    const dropped: string[] = [];
    const auditRootBefore = s.header.scopes.length ? auditRootScope(s.keys) : DEFAULT_SCOPE;
    // Kept to authenticate the old chain's head, so the new chain names its last record.
    const oldAuditKey = Uint8Array.from(s.keys.auditRoot);
    // The entries it could read, marked while the old keys still open them.
    // Every version: the earlier ones are in the same record, so the host read them too, and
    // a rollback must not bring one back unmarked.
    const mark = (x: Exposure | undefined): Exposure => ({ at: x?.at ?? now, by: [...new Set([...(x?.by ?? []), name])].sort() });
    for (const entry of fresh.exposed) {
      const e = s.doc.entries.get(entry)!;
      e.exposed = mark(e.exposed);
      for (const v of e.history ?? []) if (v.state !== 'revoked') v.exposed = mark(v.exposed);
      s.doc.entries.set(entry, e);
    }
    if (slot) {
      const keys = new VaultKeys(s.keys);
      for (const id of affected) keys.set(id, randomBytes(SCOPE_KEY_BYTES));
      s.keys = keys;
      s.rekeyed = new Set(affected);
      s.header.slots = s.header.slots.filter((x) => x !== slot);
      for (const other of [...s.header.slots]) {
        if (!other.scopes.some((id) => affected.includes(id))) continue;
        const label = describe(s, other);
        if (other.type === 'x25519') {
          // Its identity is not here: a new slot for the same recipient, with a fresh key.
          const next = makeX25519Slot(s.header, keys, (other as X25519Slot).recipient, other.scopes);
          s.header.slots = s.header.slots.map((x) => (x === other ? next : x));
          rewrapped.push(label);
          continue;
        }
        let ok = false;
        let why = 'its key could not be had';
        try {
          ok = await grantScopes(s.header, other, other.scopes, keys, means);
        } catch (err) {
          why = (err as Error).message;
        }
        if (ok) {
          rewrapped.push(label);
        } else if (other.type === 'passphrase') {
          throw new UsageError('the passphrase slot could not be wrapped with the new keys; nothing was changed');
        } else {
          // Left as it was it would hold the old keys, which open nothing written from now on.
          s.header.slots = s.header.slots.filter((x) => x !== other);
          dropped.push(`${label} (${why})`);
        }
      }
    }
    const chainsToRestart = s.header.slots
      .filter((x) => x.type === 'x25519' && affected.includes(Math.min(...x.scopes)))
      .map((x) => describe(s, x).replace(/^recipient /, ''))
      .sort();
    const { [name]: _gone, ...rest } = s.doc.config.recipients ?? {};
    s.doc.config.recipients = rest;
    if (!Object.keys(rest).length) delete s.doc.config.recipients;
    // The audit chain is keyed from the default scope's key: a new key starts a new chain
    // (the old log kept beside it), swapped in with this write, all or nothing.
    if (affected.includes(auditRootBefore)) {
      const r = await startNewChain(pinned, s.keys.auditRoot, s.doc.auditHead, () => saveSession(pinned, s), `the vault was re-keyed when recipient ${printable(name)} was removed`, oldAuditKey);
      return { ...fresh, rewrapped, dropped, newChain: { keptAs: r.keptAs }, chainsToRestart, oldCopies: [] };
    }
    await saveSession(pinned, s);
    return { ...fresh, rewrapped, dropped, newChain: null, chainsToRestart, oldCopies: [] };
  }, first.keys);
  // Keys kept by `vault unlock --for` are the old ones now: they would open nothing.
  const id = Buffer.from(first.header.vaultId).toString('hex');
  ctx.unlocker.forget(id);
  try {
    ctx.unlocker.cache?.drop(id);
  } catch {
    // No kernel keyring here: nothing was cached there either.
  }
  // Looked at after the write, which is what leaves the pre-change file as vault.exv.bak.
  return { ...result, oldCopies: copiesBeside(ctx) };
}

function auditRootScope(keys: VaultKeys): number {
  return keys.has(DEFAULT_SCOPE) ? DEFAULT_SCOPE : Math.min(...keys.keys());
}

function describe(s: Session, slot: Slot): string {
  if (slot.type !== 'x25519') return slot.type;
  const text = formatRecipient((slot as X25519Slot).recipient);
  const named = Object.entries(s.doc.config.recipients ?? {}).find(([, r]) => r === text)?.[0];
  return `recipient ${named ?? text.slice(0, 12)}`;
}
