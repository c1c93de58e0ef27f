// Builds the committed test vectors (test/vectors/*.txt) from fixed salts, nonces and keys.
// Run `npm run vectors` to rewrite them; test/unit/format/vectors.test.ts checks that this
// generator still reproduces every committed file byte for byte.
import { createHash } from 'node:crypto';
import { ready } from '../../src/crypto/sodium';
import { decodeFile, encodeHeader, PassphraseSlot } from '../../src/format/header';
import { KDF_ARGON2ID13, KdfParams, PREAMBLE_BYTES } from '../../src/format/limits';
import { addScope, makeKeychainSlot, makePassphraseSlot, newVault, openV2, Rng, sealFile } from '../../src/format/seal';
import { buildFile, buildUpdate, encodeIndex, ENTRY_ID_BYTES, headerDigest, indexAd, sealEntry, sealRecord } from '../../src/format/v2';

export interface Vector {
  name: string;
  text: string;
}

/** A deterministic byte stream: SHA-256 of "label:counter". Only for vectors. */
function fixedRng(label: string): Rng {
  let counter = 0;
  return (n) => {
    const out = new Uint8Array(n);
    for (let off = 0; off < n; off += 32) {
      out.set(createHash('sha256').update(`${label}:${counter++}`).digest().subarray(0, Math.min(32, n - off)), off);
    }
    return out;
  };
}

const KDF: KdfParams = { alg: KDF_ARGON2ID13, opsLimit: 2, memKiB: 19 * 1024 };
const PASSPHRASE = 'correct horse battery staple';
const BODY = '{"entries":[{"created":"2026-01-01T00:00:00.000Z","env":{},"exchange":"binance","ips":["203.0.113.7"],"name":"binance-main","permissions":["reading","spot"],"secrets":{"apiKey":"vectorKey0000000000000000000000000000000000000000000000000000000","apiSecret":"vectorSecret00000000000000000000000000000000000000000000000000000"},"updated":"2026-01-01T00:00:00.000Z"}],"v":1}';

function render(fields: Record<string, string>, file: Uint8Array): string {
  const head = Object.entries(fields).map(([k, v]) => `${k}: ${v}`).join('\n');
  const b64 = Buffer.from(file).toString('base64').replace(/(.{64})/g, '$1\n').trimEnd();
  return `${head}\n\n${b64}\n`;
}

export async function generateVectors(): Promise<Vector[]> {
  await ready();
  const rng = fixedRng('exvault-vectors-v1');
  const plain = new TextEncoder().encode(BODY);
  const v = newVault(PASSPHRASE, KDF, rng, 1);
  const good = sealFile(v.header, v.dataKey, plain, rng);
  const keychainKey = rng(32);
  const two = newVault(PASSPHRASE, KDF, rng, 1);
  two.header.slots.push(makeKeychainSlot(two.header, two.dataKey, keychainKey, rng));
  const twoSlots = sealFile(two.header, two.dataKey, plain, rng);

  const aadLen = decodeFile(good).aad.length;
  const slotStart = PREAMBLE_BYTES + 16 + 24 + 1;
  const flip = (f: Uint8Array, at: number) => {
    const c = f.slice();
    c[at]! ^= 0x01;
    return c;
  };
  const setKdf = (mem: number, ops: number) => {
    const h = decodeFile(good);
    const slot = h.header.slots[0]!;
    if (slot.type === 'passphrase') (slot as PassphraseSlot).kdf = { ...(slot as PassphraseSlot).kdf, memKiB: mem, opsLimit: ops };
    return new Uint8Array([...encodeHeader(h.header), ...h.body]);
  };
  const version2 = good.slice();
  new DataView(version2.buffer).setUint16(8, 2);

  const common = { passphrase: PASSPHRASE };
  const cases: [string, Record<string, string>, Uint8Array][] = [
    ['success', { expect: 'success', exit: '0', ...common, body: BODY }, good],
    ['success_two_slots', { expect: 'success', exit: '0', ...common, 'keychain-key': Buffer.from(keychainKey).toString('hex'), body: BODY }, twoSlots],
    ['wrong_passphrase', { expect: 'auth', exit: '3', passphrase: 'correct horse battery stapler' }, good],
    ['tampered_header_nonce', { expect: 'auth', exit: '3', ...common, comment: 'one bit of the body nonce flipped' }, flip(good, PREAMBLE_BYTES + 16)],
    ['tampered_vault_id', { expect: 'auth', exit: '3', ...common, comment: 'one bit of the vault id flipped (the slot is bound to it)' }, flip(good, PREAMBLE_BYTES)],
    ['tampered_slot', { expect: 'auth', exit: '3', ...common, comment: 'one bit of the wrapped data key flipped' }, flip(good, aadLen - 1)],
    ['tampered_body', { expect: 'auth', exit: '3', ...common, comment: 'one bit of the body flipped' }, flip(good, aadLen + 5)],
    ['truncated_body', { expect: 'auth', exit: '3', ...common, comment: 'last byte removed' }, good.slice(0, good.length - 1)],
    ['truncated_header', { expect: 'corrupt', exit: '5', ...common, comment: 'cut inside the header' }, good.slice(0, slotStart)],
    ['appended_byte', { expect: 'auth', exit: '3', ...common, comment: 'one byte added at the end' }, new Uint8Array([...good, 0])],
    ['unsupported_version', { expect: 'corrupt', exit: '5', ...common, comment: 'format version 2' }, version2],
    ['bad_magic', { expect: 'corrupt', exit: '5', ...common, comment: 'first byte changed' }, flip(good, 0)],
    ['kdf_below_floor', { expect: 'corrupt', exit: '5', ...common, comment: '18 MiB' }, setKdf(18 * 1024, 2)],
    ['kdf_above_cap', { expect: 'corrupt', exit: '5', ...common, comment: '2 GiB' }, setKdf(2 * 1024 * 1024, 2)],
    ['kdf_passes_above_cap', { expect: 'corrupt', exit: '5', ...common, comment: '1000 passes' }, setKdf(19 * 1024, 1000)],
  ];
  return [...cases, ...(await v2Cases())].map(([name, fields, file]) => ({ name, text: render({ case: name, ...fields }, file) }));
}

const LINE_A = '{"name":"binance-main","created":"2026-01-01T00:00:00.000Z","env":{},"exchange":"binance","ips":["203.0.113.7"],"permissions":["reading","spot"],"secrets":{"apiKey":"vectorKey0000000000000000000000000000000000000000000000000000000","apiSecret":"vectorSecret00000000000000000000000000000000000000000000000000000"},"updated":"2026-01-01T00:00:00.000Z"}';
const LINE_B = LINE_A.replace('binance-main', 'binance-subb').replace(/vectorKey0/, 'vectorKey1');
const META = '{"audit":{"mac":"0000000000000000000000000000000000000000000000000000000000000000","seq":0},"entries":[],"v":1}';
const joined = (...lines: string[]) => META.replace('"entries":[]', `"entries":[\n${lines.join(',\n')}\n]`);

/** Format v2 cases, from their own fixed stream so the v1 files above never change. */
async function v2Cases(): Promise<[string, Record<string, string>, Uint8Array][]> {
  const rng = fixedRng('exvault-vectors-v2');
  const te = new TextEncoder();
  const v = newVault(PASSPHRASE, KDF, rng, 2);
  addScope(v.header, v.dataKey, 'bots', rng);
  v.header.slots = [makePassphraseSlot(v.header, v.dataKey, PASSPHRASE, KDF, rng)];
  const idA = rng(ENTRY_ID_BYTES);
  const idB = rng(ENTRY_ID_BYTES);
  const write = (genB: number, lineB = LINE_B): Uint8Array =>
    buildFile(v.header, v.dataKey, te.encode(META), [
      { name: 'binance-main', scope: 0, id: idA, gen: 1, line: te.encode(LINE_A) },
      { name: 'binance-subb', scope: 1, id: idB, gen: genB, line: te.encode(lineB) },
    ], rng, undefined, { untagged: true, flat: true });
  const older = write(1);
  const good = write(2);
  const keychainKey = rng(32);
  const kc = newVault(PASSPHRASE, KDF, rng, 2);
  kc.header.slots.push(makeKeychainSlot(kc.header, kc.dataKey, keychainKey, rng));
  const twoSlots = buildFile(kc.header, kc.dataKey, te.encode(META), [{ name: 'binance-main', scope: 0, id: rng(ENTRY_ID_BYTES), gen: 1, line: te.encode(LINE_A) }], rng, undefined, { untagged: true, flat: true });

  const parsed = decodeFile(good);
  const rows = (file: Uint8Array) => {
    const o = openV2(decodeFile(file), v.dataKey);
    return { a: o.index(0).find('binance-main')!, b: o.index(1).find('binance-subb')! };
  };
  const r = rows(good);
  const ro = rows(older);
  const flip = (at: number) => {
    const c = good.slice();
    c[at]! ^= 0x01;
    return c;
  };
  const put = (src: Uint8Array, from: { off: number; len: number }, at: number) => {
    const c = good.slice();
    c.set(src.subarray(from.off, from.off + from.len), at);
    return c;
  };
  const withVersion = (n: number) => {
    const c = good.slice();
    new DataView(c.buffer).setUint16(8, n);
    return c;
  };
  const withKdf = (edit: (slot: PassphraseSlot) => void) => {
    const h = decodeFile(good).header;
    edit(h.slots[0] as PassphraseSlot);
    return new Uint8Array([...encodeHeader(h), ...decodeFile(good).body]);
  };
  const scopeNameAt = PREAMBLE_BYTES + 16 + 16 + 1 + 4 + 1 + 7 + 4 + 1;
  const common = { passphrase: PASSPHRASE };
  const both = joined(LINE_A, LINE_B);
  // Updates (docs/FORMAT.md "Writing"), drawn last from the stream so the files above never change.
  const update = (file: Uint8Array, name: string, line: string) => {
    const h = decodeFile(file).header;
    const o = openV2(decodeFile(file), v.dataKey);
    const kept = o.openScopes().map((scope) => ({ scope, index: o.index(scope), drop: new Set<number>() }));
    const u = buildUpdate(h, v.dataKey, te.encode(META), [{ name, scope: 0, id: rng(ENTRY_ID_BYTES), gen: 1, line: te.encode(line) }], rng, kept, h.state!.end, { flat: true });
    return new Uint8Array(Buffer.concat([file.subarray(0, h.state!.end), ...u.body, u.trailer]));
  };
  const LINE_C = LINE_A.replace('binance-main', 'binance-spot').replace(/vectorKey0/, 'vectorKey2');
  const updated = update(good, 'binance-spot', LINE_C);
  const unfinished = update(updated, 'binance-zzzz', LINE_C.replace('binance-spot', 'binance-zzzz'));
  const trailerAt = updated.length - (16 + 8 + 8 * 2 + 4 + 4 + 8);
  const flipUpdated = (at: number) => {
    const c = updated.slice();
    c[at]! ^= 0x01;
    return c;
  };
  const withC = joined(LINE_A, LINE_C, LINE_B);
  // Writer tags (docs/FORMAT.md "Writer tag"), drawn after everything above.
  const tagged = buildFile(v.header, v.dataKey, te.encode(META), [
    { name: 'binance-main', scope: 0, id: idA, gen: 1, line: te.encode(LINE_A) },
    { name: 'binance-subb', scope: 1, id: idB, gen: 3, line: te.encode(LINE_B) },
  ], rng, undefined, { flat: true });
  const taggedUpdate = update(tagged, 'binance-spot', LINE_C);
  const stripped = (() => {
    const p = decodeFile(tagged);
    const h = p.header;
    delete h.toc.tag;
    const shift = (s: { off: number; len: number }) => ({ off: s.off - 32, len: s.len });
    h.toc = { meta: shift(h.toc.meta), indexes: h.toc.indexes.map(shift) };
    return new Uint8Array(Buffer.concat([encodeHeader(h), p.body]));
  })();
  // What a slot granted only scope bots can do (rt22 finding 1): seal a new record of its
  // entry and a new index of its scope, bound to the same header digest, in place.
  const forge = (file: Uint8Array) => {
    const p = decodeFile(file);
    const h = p.header;
    const botsKey = v.dataKey.get(1)!;
    const ix = openV2(p, new Map([[1, botsKey]])).index(1);
    const row = ix.find('binance-subb')!;
    const line = te.encode(LINE_B.replace('vectorKey1', 'forgedKey1'));
    const rec = sealEntry(h.vaultId, botsKey, 1, row.id, row.gen, line, rng);
    const out = file.slice();
    out.set(rec, row.off);
    const plain = encodeIndex([{ ...row, commit: createHash('sha256').update(rec).digest() }], ix.metaCommit);
    const sealed = sealRecord(botsKey, plain, indexAd(h, 1, headerDigest(h)), rng);
    out.set(sealed, h.toc.indexes[1]!.off);
    return out;
  };
  const cases: [string, Record<string, string>, Uint8Array][] = [
    ['v2_success', { expect: 'success', exit: '0', ...common, comment: 'format 2: binance-main in scope default, binance-subb in scope bots (generation 2), one passphrase slot granted both', 'body-json': JSON.stringify(both) }, good],
    ['v2_success_two_slots', { expect: 'success', exit: '0', ...common, 'keychain-key': Buffer.from(keychainKey).toString('hex'), 'body-json': JSON.stringify(joined(LINE_A)) }, twoSlots],
    ['v2_wrong_passphrase', { expect: 'auth', exit: '3', passphrase: 'correct horse battery stapler' }, good],
    ['v2_tampered_vault_id', { expect: 'auth', exit: '3', ...common, comment: 'one bit of the vault id flipped' }, flip(PREAMBLE_BYTES)],
    ['v2_tampered_write_id', { expect: 'auth', exit: '3', ...common, comment: 'one bit of the write id flipped (binds the meta record and indexes)' }, flip(PREAMBLE_BYTES + 16)],
    ['v2_tampered_scope_name', { expect: 'auth', exit: '3', ...common, comment: 'one bit of the second scope name flipped (the scope table is hashed into every index)' }, flip(scopeNameAt)],
    ['v2_tampered_slot', { expect: 'auth', exit: '3', ...common, comment: 'one bit of the wrapped scope keys flipped' }, flip(parsed.aad.length - 8 - 16 - 1)],
    ['v2_tampered_meta', { expect: 'auth', exit: '3', ...common, comment: 'one bit of the meta record flipped' }, flip(parsed.header.toc.meta.off + 30)],
    ['v2_tampered_record', { expect: 'auth', exit: '3', ...common, comment: 'one bit of the record of binance-main flipped' }, flip(r.a.off + 30)],
    ['v2_tampered_index', { expect: 'auth', exit: '3', ...common, comment: 'one bit of the index of scope bots flipped' }, flip(parsed.header.toc.indexes[1]!.off + 30)],
    ['v2_swapped_records', { expect: 'auth', exit: '3', ...common, comment: 'the two entry records swapped' }, swap(good, r.a, r.b)],
    ['v2_duplicated_record', { expect: 'auth', exit: '3', ...common, comment: "binance-main's record copied over binance-subb's" }, put(good, r.a, r.b.off)],
    ['v2_rolled_back_record', { expect: 'auth', exit: '3', ...common, comment: "binance-subb's record from the previous write (generation 1)" }, put(older, ro.b, r.b.off)],
    ['v2_truncated', { expect: 'corrupt', exit: '5', ...common, comment: 'last byte removed' }, good.slice(0, good.length - 1)],
    ['v2_appended_byte', { expect: 'corrupt', exit: '5', ...common, comment: 'one byte added at the end' }, new Uint8Array([...good, 0])],
    ['v2_truncated_header', { expect: 'corrupt', exit: '5', ...common, comment: 'cut inside the header' }, good.slice(0, PREAMBLE_BYTES + 40)],
    ['v2_unsupported_version', { expect: 'corrupt', exit: '5', ...common, comment: 'format version 3' }, withVersion(3)],
    ['v2_kdf_lanes', { expect: 'corrupt', exit: '5', ...common, comment: '1000 lanes' }, withKdf((s) => (s.kdf = { ...s.kdf, lanes: 1000 }))],
    ['v2_kdf_below_floor', { expect: 'corrupt', exit: '5', ...common, comment: '18 MiB' }, withKdf((s) => (s.kdf = { ...s.kdf, memKiB: 18 * 1024 }))],
    ['v2_update', { expect: 'success', exit: '0', ...common, comment: 'v2_success with one update appended: binance-spot added (default scope)', 'body-json': JSON.stringify(withC) }, updated],
    ['v2_update_unfinished', { expect: 'success', exit: '0', ...common, comment: 'v2_update followed by the first 200 bytes of a second update (a write cut short): reads as v2_update', 'body-json': JSON.stringify(withC) }, unfinished.slice(0, updated.length + 200)],
    ['v2_update_tampered_write_id', { expect: 'auth', exit: '3', ...common, comment: "one bit of the update trailer's write id flipped (binds its meta record and indexes)" }, flipUpdated(trailerAt)],
    ['v2_update_tampered_index', { expect: 'auth', exit: '3', ...common, comment: "one bit of the update's index of scope default flipped" }, flipUpdated(decodeFile(updated).header.toc.indexes[0]!.off + 30)],
    ['v2_tagged', { expect: 'success', exit: '0', ...common, comment: 'v2_success written with a writer tag (the header ends with it)', 'body-json': JSON.stringify(both) }, tagged],
    ['v2_tagged_update', { expect: 'success', exit: '0', ...common, comment: 'v2_tagged with one tagged update appended: binance-spot added', 'body-json': JSON.stringify(withC) }, taggedUpdate],
    ['v2_tagged_stripped', { expect: 'auth', exit: '3', ...common, comment: "v2_tagged with the tag cut from the header and the offsets moved: the header digest changes, so no index or meta record opens" }, stripped],
    ['v2_tagged_forged_scope', { expect: 'corrupt', exit: '5', ...common, comment: "v2_tagged with binance-subb's record and the index of scope bots sealed again with that scope's key alone, bound to the same header: the writer tag no longer matches" }, forge(tagged)],
    ['v2_tagged_update_forged_scope', { expect: 'corrupt', exit: '5', ...common, comment: "v2_tagged_update with the update's index of scope bots (and binance-subb's record) sealed again with that scope's key alone" }, forge(taggedUpdate)],
    ['v2_update_stray_byte', { expect: 'corrupt', exit: '5', ...common, comment: 'v2_update with one zero byte added at the end (not the start of an update)' }, new Uint8Array([...updated, 0])],
  ];
  // Index pages (docs/FORMAT.md "Index pages"), drawn after everything above: binance-main and
  // five more entries in scope default, pages of at most two rows, so the root lists three
  // pages. Names of one length: pages of two rows are of one length, and can be swapped.
  const P_NAMES = ['binance-pg01', 'binance-pg02', 'binance-pg03', 'binance-pg04', 'binance-pg05'];
  const pLine = (n: string, digit = '0') => LINE_A.replace('binance-main', n).replace(/vectorKey0/, `vectorKey${digit}`);
  const pIds = P_NAMES.map(() => rng(ENTRY_ID_BYTES));
  const paged = buildFile(v.header, v.dataKey, te.encode(META), [
    { name: 'binance-main', scope: 0, id: idA, gen: 1, line: te.encode(LINE_A) },
    ...P_NAMES.map((name, i) => ({ name, scope: 0, id: pIds[i]!, gen: 1, line: te.encode(pLine(name)) })),
    { name: 'binance-subb', scope: 1, id: idB, gen: 4, line: te.encode(LINE_B) },
  ], rng, undefined, { pageRows: 2 });
  const pagesOf = (file: Uint8Array) => {
    const ix = openV2(decodeFile(file), v.dataKey).index(0);
    return Array.from({ length: ix.pageCount }, (_, i) => ix.pageRef(i));
  };
  // An update that changes binance-pg03 (same length): only the middle page is written again.
  const pagedUpdate = (() => {
    const h = decodeFile(paged).header;
    const o = openV2(decodeFile(paged), v.dataKey);
    const kept = o.openScopes().map((scope) => ({ scope, index: o.index(scope), drop: new Set<number>() }));
    kept[0]!.drop.add(o.find('binance-pg03')!.row.at!);
    const u = buildUpdate(h, v.dataKey, te.encode(META), [{ name: 'binance-pg03', scope: 0, id: pIds[2]!, gen: 2, line: te.encode(pLine('binance-pg03', '7')) }], rng, kept, h.state!.end, { pageRows: 2 });
    return new Uint8Array(Buffer.concat([paged, ...u.body, u.trailer]));
  })();
  const [pg0, pg1, pg2] = pagesOf(paged);
  const pagedBody = joined(LINE_A, ...P_NAMES.map((n) => pLine(n)), LINE_B);
  const pagedUpdateBody = joined(LINE_A, ...P_NAMES.map((n) => pLine(n, n === 'binance-pg03' ? '7' : '0')), LINE_B);
  const swappedPages = paged.slice();
  swappedPages.set(paged.subarray(pg0!.off, pg0!.off + pg0!.len), pg1!.off);
  swappedPages.set(paged.subarray(pg1!.off, pg1!.off + pg1!.len), pg0!.off);
  const replayed = pagedUpdate.slice();
  const newMiddle = pagesOf(pagedUpdate)[1]!;
  if (newMiddle.len !== pg1!.len || pg0!.len !== pg1!.len) throw new Error('pages of different lengths');
  replayed.set(paged.subarray(pg1!.off, pg1!.off + pg1!.len), newMiddle.off);
  const flipPaged = (at: number) => {
    const c = paged.slice();
    c[at]! ^= 0x01;
    return c;
  };
  return [
    ...cases,
    ['v2_paged', { expect: 'success', exit: '0', ...common, comment: 'index pages: binance-main and five more entries in scope default, the root listing three pages of two rows; binance-subb in scope bots', 'body-json': JSON.stringify(pagedBody) }, paged],
    ['v2_paged_update', { expect: 'success', exit: '0', ...common, comment: 'v2_paged with an update that changes binance-pg03: the middle page written again, the others left in place', 'body-json': JSON.stringify(pagedUpdateBody) }, pagedUpdate],
    ['v2_paged_tampered_page', { expect: 'auth', exit: '3', ...common, comment: 'one bit of the last page of scope default flipped (its SHA-256 in the root no longer matches)' }, flipPaged(pg2!.off + 30)],
    ['v2_paged_swapped_pages', { expect: 'auth', exit: '3', ...common, comment: 'the first two pages of scope default swapped (same length)' }, swappedPages],
    ['v2_paged_replayed_page', { expect: 'auth', exit: '3', ...common, comment: "v2_paged_update with the middle page the update wrote replaced by that page's bytes from before it" }, replayed],
  ];
}

function swap(file: Uint8Array, a: { off: number; len: number }, b: { off: number; len: number }): Uint8Array {
  if (a.len !== b.len) throw new Error('records of different lengths');
  const c = file.slice();
  c.set(file.subarray(a.off, a.off + a.len), b.off);
  c.set(file.subarray(b.off, b.off + b.len), a.off);
  return c;
}

/** Parses a vector file back into its fields and file bytes. */
export function parseVector(text: string): { fields: Record<string, string>; file: Uint8Array } {
  const [head, b64] = text.split('\n\n');
  const fields: Record<string, string> = {};
  for (const l of head!.split('\n')) {
    const i = l.indexOf(': ');
    fields[l.slice(0, i)] = l.slice(i + 2);
  }
  return { fields, file: Uint8Array.from(Buffer.from(b64!.replace(/\n/g, ''), 'base64')) };
}
