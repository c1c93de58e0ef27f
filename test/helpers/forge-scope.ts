// rt22 finding 1, as a host granted some scopes would do it: its identity opens its slot (as
// src/format/slots does), and with that scope's key alone it seals a new record of one of its
// entries (a rotation hook of its choice) and a new index of the scope bound to the same header
// digest, appends both and points the header's table of contents at them. For tests that check
// a reader holding every scope refuses the result.
import * as fs from 'node:fs';
import { parseIdentityFile } from '../../src/crypto/age-x25519';
import { sha256 } from '../../src/crypto/hash';
import { randomBytes } from '../../src/crypto/random';
import { decodeFile, encodeHeader } from '../../src/format/header';
import { openV2, unwrapSlot } from '../../src/format/seal';
import { kindOf } from '../../src/format/slots/registry';
import { encodeIndex, headerDigest, indexAd, sealEntry, sealRecord } from '../../src/format/v2';

export async function forgeHook(file: Uint8Array, identityFile: string, entry: string, hook: string): Promise<Uint8Array> {
  const p = decodeFile(file);
  const h = p.header;
  const slot = h.slots.find((s) => s.type === 'x25519')!;
  const kek = (await kindOf(slot).kek(slot, h.vaultId, { identities: async () => [parseIdentityFile(fs.readFileSync(identityFile, 'utf8'))] }))!;
  const keys = unwrapSlot(h, slot, kek)!;
  const [scope] = [...keys.keys()];
  const key = keys.get(scope!)!;
  const o = openV2(p, keys);
  const ix = o.index(scope!);
  const row = ix.find(entry)!;
  const doc = JSON.parse(new TextDecoder().decode(o.line(scope!, row))) as Record<string, unknown>;
  doc.rotation = { ...(doc.rotation as object), hook };
  const { name, ...rest } = doc;
  const sorted = Object.fromEntries(Object.keys(rest).sort().map((k) => [k, rest[k]]));
  const line = new TextEncoder().encode(JSON.stringify({ name, ...sorted }));
  const record = sealEntry(h.vaultId, key, scope!, row.id, row.gen + 1, line, randomBytes);
  const rows = ix.rows().map((r) => (r.name === entry ? { ...r, gen: row.gen + 1, off: file.length, len: record.length, commit: sha256(record) } : r));
  const sealed = sealRecord(key, encodeIndex(rows, ix.metaCommit), indexAd(h, scope!, headerDigest(h)), randomBytes);
  const at = h.scopes.findIndex((s) => s.id === scope);
  h.toc.indexes[at] = { off: file.length + record.length, len: sealed.length };
  const head = encodeHeader(h);
  return new Uint8Array(Buffer.concat([head, file.subarray(head.length), record, sealed]));
}
