// A fleet's vault for bench/sync.mjs, in one write through the format library: SCOPES scopes
// (s0, s1, ...), N entries spread over them in turn, and RECIPIENTS X25519 slots, recipient i
// granted scope s(i mod SCOPES), except recipient 0 ("ops"), granted every scope (a host that
// can write). Writes the identities of recipients 0 and 1 to the files given.
// Usage: node fill-fleet.cjs VAULT_FILE PASSPHRASE_FILE ENTRIES_JSON RECIPIENTS SCOPES OPS_IDENTITY READER_IDENTITY
import * as fs from 'node:fs';
import { buildEntry } from '../../src/app/entries';
import { AgeIdentity, formatIdentityFile, formatRecipient } from '../../src/crypto/age-x25519';
import { randomBytes } from '../../src/crypto/random';
import { ready } from '../../src/crypto/sodium';
import { parseDoc, serializeDoc, emptyDoc } from '../../src/domain/document';
import { entryLine } from '../../src/domain/entry-codec';
import { parseExportJson } from '../../src/domain/export-format';
import { decodeFile } from '../../src/format/header';
import { addScope, makePassphraseSlot, makeX25519Slot, openBody, passphraseSlotOf, unwrapWithPassphrase } from '../../src/format/seal';
import { buildFile, ENTRY_ID_BYTES, EntryToWrite } from '../../src/format/v2';

async function main(): Promise<void> {
  const [vaultFile, passFile, entriesFile, nRecipients, nScopes, opsFile, readerFile] = process.argv.slice(2);
  await ready();
  const parsed = decodeFile(new Uint8Array(fs.readFileSync(vaultFile!)));
  const pass = fs.readFileSync(passFile!, 'utf8').replace(/\n$/, '');
  const keys = unwrapWithPassphrase(parsed, pass);
  const doc = parseDoc(openBody(parsed, keys));
  const header = parsed.header;
  const scopes = [0];
  for (let i = 1; i < Number(nScopes); i++) scopes.push(addScope(header, keys, `s${i}`));
  header.slots = [makePassphraseSlot(header, keys, pass, passphraseSlotOf(header).kdf)];
  const recipients: Record<string, string> = {};
  for (let i = 0; i < Number(nRecipients); i++) {
    const id = AgeIdentity.generate();
    const grant = i === 0 ? scopes : [scopes[i % scopes.length]!];
    header.slots.push(makeX25519Slot(header, keys, id.publicKey, grant));
    recipients[`host-${String(i).padStart(3, '0')}`] = formatRecipient(id.publicKey);
    if (i < 2) fs.writeFileSync(i === 0 ? opsFile! : readerFile!, formatIdentityFile(id, new Date()), { mode: 0o600 });
    id.dispose();
  }
  const now = new Date();
  const input = parseExportJson(fs.readFileSync(entriesFile!, 'utf8'));
  const entries: EntryToWrite[] = [];
  if (input.version !== 1) throw new Error('export version 1 expected');
  input.items.forEach((it, i) => {
    const e = buildEntry(it.name, it.exchange, it.meta, it.secrets, now);
    entries.push({ name: it.name, scope: scopes[i % scopes.length]!, id: randomBytes(ENTRY_ID_BYTES), gen: 1, line: new TextEncoder().encode(entryLine(e)) });
  });
  const meta = emptyDoc();
  meta.config = { ...doc.config, recipients };
  fs.writeFileSync(vaultFile!, buildFile(header, keys, serializeDoc(meta), entries, randomBytes), { mode: 0o600 });
}

void main();
