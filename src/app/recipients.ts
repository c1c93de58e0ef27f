// Recipients (issue 16, first part): a host's or person's age X25519 recipient granted some
// scopes, as an X25519 slot in the header. Its name is a label kept in the vault config
// (sealed under the default scope's key with the rest of the document), so it is
// authenticated without changing the slot format; the slot is found again by its recipient.
import { parseRecipient, formatRecipient } from '../crypto/age-x25519';
import { ENTRY_NAME, printable } from '../domain/entry';
import { UsageError } from '../errors';
import { FORMAT_V1, headerFits, MAX_SLOTS } from '../format/limits';
import { encodeHeader } from '../format/header';
import { makeX25519Slot } from '../format/seal';
import type { X25519Slot } from '../format/slots/x25519';
import type { AppContext } from './ports';
import { scopeIdByName } from './scopes';
import { mutate, openSession } from './session';

export interface RecipientInfo {
  name: string;
  recipient: string;
  /** Scope names its slot is granted; empty when no slot of the header matches (damaged). */
  scopes: string[];
}

/** Adds an X25519 slot for `recipient`, granted `scopeNames`, under `name`. Needs every scope's
 *  key (the passphrase), as any write does, since the slot wraps the keys it is granted. */
export async function addRecipient(ctx: AppContext, name: string, recipient: string, scopeNames: string[]): Promise<RecipientInfo> {
  if (!ENTRY_NAME.test(name)) throw new UsageError(`"${printable(name)}" is not a valid recipient name`, ['use lower-case letters, digits, dot, dash or underscore (up to 64)']);
  if (/[\r\n]/.test(recipient)) throw new UsageError('the recipient must be one line (age1...)');
  const pub = parseRecipient(recipient);
  const text = formatRecipient(pub);
  if (!scopeNames.length) throw new UsageError('give at least one --scope');
  const pass = await ctx.unlocker.passphrase();
  const pinned = { ...ctx, unlocker: ctx.unlocker.withPassphrase(pass) };
  const { keys } = await openSession(pinned);
  return mutate(pinned, (s) => {
    if (s.header.version === FORMAT_V1) throw new UsageError('this vault is format 1, which has no recipient slots', ['upgrade it first: vault upgrade']);
    const ids = [...new Set(scopeNames.map((n) => scopeIdByName(s.header, n)))].sort((a, b) => a - b);
    const named = s.doc.config.recipients ?? {};
    if (named[name] !== undefined) throw new UsageError(`a recipient named "${printable(name)}" already exists`);
    const taken = s.header.slots.some((x) => x.type === 'x25519' && Buffer.from((x as X25519Slot).recipient).equals(Buffer.from(pub)));
    if (taken || Object.values(named).includes(text)) throw new UsageError('that recipient already has a slot in this vault');
    if (s.header.slots.length >= MAX_SLOTS) throw new UsageError(`a vault holds at most ${MAX_SLOTS} key slots, and this one has ${s.header.slots.length}`);
    // Every scope's key is every key: such a host can change the vault as the passphrase can.
    if (ids.length === s.header.scopes.length) ctx.notices.warn(`${name} is granted every scope: with its identity alone it can read and change everything in the vault, as the passphrase can`);
    s.header.slots.push(makeX25519Slot(s.header, s.keys, pub, ids));
    if (!headerFits(encodeHeader(s.header).length)) throw new UsageError(`the vault's header has no room for another slot granted ${ids.length} scope${ids.length === 1 ? '' : 's'} (it is at most 64 KiB)`, ['grant fewer scopes, or remove a recipient first']);
    s.doc.config.recipients = { ...named, [name]: text };
    return { name, recipient: text, scopes: ids.map((id) => s.header.scopes.find((x) => x.id === id)!.name) };
  }, keys);
}

export async function listRecipients(ctx: AppContext): Promise<RecipientInfo[]> {
  const s = await openSession(ctx);
  const named = s.doc.config.recipients ?? {};
  return Object.entries(named)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, recipient]) => {
      const slot = s.header.slots.find((x) => x.type === 'x25519' && formatRecipient((x as X25519Slot).recipient) === recipient);
      return { name, recipient, scopes: slot ? slot.scopes.map((id) => s.header.scopes.find((x) => x.id === id)?.name ?? String(id)) : [] };
    });
}
