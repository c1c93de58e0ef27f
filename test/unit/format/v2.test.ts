// Format v2 at the format layer: records sealed one by one under per-scope indexes. Every
// change to one record (tamper, swap, duplicate, roll back, remove) is refused; a scope's key
// opens its own entries and no others; a write that changes one entry copies the others.
import { AuthError, CorruptError } from '../../../src/errors';
import { decodeFile, decodeHead, encodeHeader, Header } from '../../../src/format/header';
import { makePassphraseSlot, newVault, openBody, openV2, sealFile, unwrapWithPassphrase, VaultKeys } from '../../../src/format/seal';
import { buildFile, ENTRY_ID_BYTES, EntryToWrite } from '../../../src/format/v2';
import { randomBytes } from '../../../src/crypto/random';
import { CANARY } from '../../helpers/canary';
import { TEST_KDF, twoScopeVault } from '../../helpers/vault-bytes';

const PASS = CANARY.vaultPassphrase;
const te = new TextEncoder();
const td = new TextDecoder();
const line = (name: string, secret: string) => te.encode(`{"name":"${name}","secret":"${secret}"}`);
const META = te.encode('{"entries":[],"v":1}');

let header: Header;
let keys: VaultKeys;
let ids: Record<string, Uint8Array>;

/** Entries a (default), b (default), c (scope "bots"), each at generation gen[name]. */
function write(gen: Record<string, number> = {}, secret = CANARY.apiSecret): Uint8Array {
  const entries: EntryToWrite[] = ['a', 'b', 'c'].map((name) => ({ name, scope: name === 'c' ? 1 : 0, id: ids[name]!, gen: gen[name] ?? 1, line: line(name, `${secret}-${name}-${gen[name] ?? 1}`) }));
  return buildFile(header, keys, META, entries, randomBytes);
}

function open(file: Uint8Array, k: Map<number, Uint8Array> = keys): string {
  return td.decode(openBody(decodeFile(file), k));
}

function refused(file: Uint8Array, k: Map<number, Uint8Array> = keys): unknown {
  let err: unknown;
  try {
    open(file, k);
  } catch (e) {
    err = e;
  }
  expect(err instanceof AuthError || err instanceof CorruptError).toBe(true);
  expect(String((err as Error).message)).not.toContain(CANARY.apiSecret);
  return err;
}

beforeAll(async () => {
  // The passphrase slot is granted both scopes.
  ({ header, keys } = await twoScopeVault(PASS));
  ids = { a: randomBytes(ENTRY_ID_BYTES), b: randomBytes(ENTRY_ID_BYTES), c: randomBytes(ENTRY_ID_BYTES) };
});

/** Where each entry's record lies in a file. */
function spans(file: Uint8Array) {
  const v2 = openV2(decodeFile(file), keys);
  const at: Record<string, { off: number; len: number }> = {};
  for (const scope of v2.openScopes()) for (const row of v2.index(scope).rows()) at[row.name] = { off: row.off, len: row.len };
  return at;
}

it('opens with the passphrase, every entry in its place', () => {
  const file = write();
  const k = unwrapWithPassphrase(decodeFile(file), PASS);
  expect([...k.keys()]).toEqual([0, 1]);
  const body = open(file, k);
  expect(body).toContain(`${CANARY.apiSecret}-a-1`);
  expect(body).toContain(`${CANARY.apiSecret}-c-1`);
  expect(body.split('\n')).toHaveLength(5);
});

it('refuses every single-byte change anywhere in the file (slot bytes: when unwrapping)', () => {
  const file = write();
  const h = decodeFile(file).header;
  // The slot: after the preamble, vault id, write id and scope table, up to the table of contents.
  const slotStart = 14 + 16 + 16 + (1 + 5 + 7 + 5 + 4) + 1;
  const slotEnd = decodeFile(file).aad.length - 8 - 8 * h.scopes.length - (h.toc.tag ? 32 : 0);
  for (let i = 0; i < file.length; i++) {
    const bad = file.slice();
    bad[i]! ^= 0x01;
    if (i >= slotStart && i < slotEnd) {
      let err: unknown;
      try {
        unwrapWithPassphrase(decodeHead(bad), PASS);
      } catch (e) {
        err = e;
      }
      expect(err instanceof AuthError || err instanceof CorruptError).toBe(true);
    } else {
      refused(bad);
    }
  }
});

it('refuses every truncation and appended bytes', () => {
  const file = write();
  for (let n = 0; n < file.length; n += 7) refused(file.slice(0, n));
  refused(new Uint8Array([...file, 0]));
});

it('refuses two records swapped (same length)', () => {
  const file = write();
  const s = spans(file);
  expect(s.a!.len).toBe(s.b!.len);
  const bad = file.slice();
  bad.set(file.subarray(s.b!.off, s.b!.off + s.b!.len), s.a!.off);
  bad.set(file.subarray(s.a!.off, s.a!.off + s.a!.len), s.b!.off);
  refused(bad);
});

it('refuses one record duplicated over another', () => {
  const file = write();
  const s = spans(file);
  const bad = file.slice();
  bad.set(file.subarray(s.a!.off, s.a!.off + s.a!.len), s.b!.off);
  refused(bad);
});

it("refuses one entry's record rolled back to an older file's", () => {
  const old = write();
  const now = write({ a: 2 });
  const so = spans(old);
  const sn = spans(now);
  const bad = now.slice();
  bad.set(old.subarray(so.a!.off, so.a!.off + so.a!.len), sn.a!.off);
  expect(so.a!.len).toBe(sn.a!.len);
  refused(bad);
});

it("refuses one scope's index taken from another write", () => {
  const a = write();
  const b = write();
  const ha = decodeFile(a).header;
  const hb = decodeFile(b).header;
  const bad = a.slice();
  const [ia, ib] = [ha.toc.indexes[1]!, hb.toc.indexes[1]!];
  expect(ia.len).toBe(ib.len);
  bad.set(b.subarray(ib.off, ib.off + ib.len), ia.off);
  refused(bad);
});

it('a slot granted one scope opens that scope only; its key cannot open another scope', () => {
  const file = write();
  const only = new VaultKeys([[1, keys.get(1)!]]);
  const v2 = openV2(decodeFile(file), only);
  expect(v2.openScopes()).toEqual([1]);
  expect(td.decode(v2.line(1, v2.index(1).find('c')!))).toContain('-c-1');
  expect(() => v2.index(0)).toThrow(AuthError);
  // Scope 1's key given as scope 0's: nothing opens.
  refused(file, new VaultKeys([[0, keys.get(1)!], [1, keys.get(1)!]]));
  // A passphrase slot granted scope 1 only unwraps only its key.
  const h = decodeFile(file).header;
  h.slots = [makePassphraseSlot(h, keys, PASS, TEST_KDF, randomBytes, [1])];
  const k = unwrapWithPassphrase(decodeHead(encodeHeader(h)), PASS);
  expect([...k.keys()]).toEqual([1]);
});

it("a slot's granted scopes are bound to it: widening them is refused", () => {
  const h = decodeFile(write()).header;
  const slot = makePassphraseSlot(h, keys, PASS, TEST_KDF, randomBytes, [1]);
  slot.scopes = [0];
  h.slots = [slot];
  expect(() => unwrapWithPassphrase({ header: h }, PASS)).toThrow(AuthError);
});

it('binary search finds every name among many, and misses absent ones', () => {
  const entries: EntryToWrite[] = Array.from({ length: 500 }, (_, i) => ({ name: `e${String(i).padStart(4, '0')}`, scope: 0, id: randomBytes(16), gen: 1, line: line(`e${String(i).padStart(4, '0')}`, 'x') }));
  const file = buildFile(header, keys, META, entries, randomBytes);
  const v2 = openV2(decodeFile(file), keys);
  for (const e of entries) expect(td.decode(v2.line(0, v2.find(e.name)!.row))).toContain(e.name);
  expect(v2.find('e9999')).toBeNull();
  expect(v2.find('a')).toBeNull();
});

it('a write copies unchanged records byte for byte', () => {
  const old = write();
  const v2 = openV2(decodeFile(old), keys);
  const rows = Object.fromEntries(v2.openScopes().flatMap((s) => v2.index(s).rows().map((r) => [r.name, { s, r }])));
  const entries: EntryToWrite[] = ['a', 'b', 'c'].map((name) => {
    const { s, r } = rows[name]!;
    return name === 'b' ? { name, scope: s, id: r.id, gen: r.gen + 1, line: line('b', 'changed') } : { name, scope: s, id: r.id, gen: r.gen, sealed: v2.sealed(r) };
  });
  const next = buildFile(header, keys, META, entries, randomBytes);
  const so = spans(old);
  const sn = spans(next);
  for (const n of ['a', 'c']) expect(Buffer.from(next.subarray(sn[n]!.off, sn[n]!.off + sn[n]!.len)).equals(Buffer.from(old.subarray(so[n]!.off, so[n]!.off + so[n]!.len)))).toBe(true);
  expect(open(next)).toContain('"secret":"changed"');
});

it('sealFile and openBody round-trip the canonical body', () => {
  const v = newVault(PASS, TEST_KDF);
  const body = `{"audit":{"mac":"00","seq":0},"entries":[\n${td.decode(line('x', 'one'))},\n${td.decode(line('y', 'two'))}\n],"v":1}`;
  const file = sealFile(v.header, v.dataKey, te.encode(body));
  expect(open(file, v.dataKey)).toBe(body);
});

it('a write that keeps rows of the old indexes (drops, inserts, two scopes, several writes) gives the same entries as writing them all anew', () => {
  const name = (i: number) => `k${String(i).padStart(4, '0')}`;
  const scopeOf = (i: number) => (i % 3 === 0 ? 1 : 0);
  let want = new Map<string, { scope: number; secret: string }>();
  for (let i = 0; i < 300; i += 2) want.set(name(i), { scope: scopeOf(i), secret: `s${i}` });
  const first: EntryToWrite[] = [...want].map(([n, w]) => ({ name: n, scope: w.scope, id: randomBytes(16), gen: 1, line: line(n, w.secret) }));
  let file = buildFile(header, keys, META, first, randomBytes);
  // Each round: drop some, change some (dropped and sealed anew), insert new names between and
  // around the old ones (first, last, in the middle), in both scopes.
  for (let round = 0; round < 4; round++) {
    const v2 = openV2(decodeFile(file), keys);
    const kept = v2.openScopes().map((scope) => ({ scope, index: v2.index(scope), drop: new Set<number>() }));
    const drop = (n: string) => {
      const at = v2.find(n)!;
      kept.find((c) => c.scope === at.scope)!.drop.add(at.row.at!);
    };
    const fresh: EntryToWrite[] = [];
    const names = [...want.keys()].sort();
    for (const n of [names[0]!, names[7 + round]!, names[names.length - 1]!]) {
      drop(n);
      want.delete(n);
    }
    const changed = names[20 + round]!;
    drop(changed);
    const was = v2.find(changed)!;
    want.set(changed, { scope: was.scope, secret: `changed${round}` });
    fresh.push({ name: changed, scope: was.scope, id: was.row.id, gen: was.row.gen + 1, line: line(changed, `changed${round}`) });
    for (const i of [round === 0 ? -1 : 1 + round * 2, 101 + round * 2, 301 + round, 155 + round * 2]) {
      const n = i < 0 ? 'a-first' : name(i);
      want.set(n, { scope: scopeOf(Math.abs(i)), secret: `new${round}` });
      fresh.push({ name: n, scope: scopeOf(Math.abs(i)), id: randomBytes(16), gen: 1, line: line(n, `new${round}`) });
    }
    const next = buildFile(header, keys, META, fresh, randomBytes, { scopes: kept, read: (off, len) => file.subarray(off, off + len) });
    // Kept records are the old bytes.
    const so = spans(file);
    const sn = spans(next);
    for (const n of Object.keys(sn)) {
      if (!so[n] || fresh.some((f) => f.name === n)) continue;
      expect(Buffer.from(next.subarray(sn[n]!.off, sn[n]!.off + sn[n]!.len)).equals(Buffer.from(file.subarray(so[n]!.off, so[n]!.off + so[n]!.len)))).toBe(true);
    }
    file = next;
    const got = openV2(decodeFile(file), keys);
    const seen = new Map<string, { scope: number; secret: string }>();
    for (const scope of got.openScopes()) {
      const rows = got.index(scope).rows();
      expect(rows.map((r) => r.name)).toEqual(rows.map((r) => r.name).sort());
      for (const r of rows) seen.set(r.name, { scope, secret: JSON.parse(td.decode(got.line(scope, r))).secret });
    }
    expect(new Map([...seen].sort())).toEqual(new Map([...want].sort()));
    want = new Map([...want].sort());
  }
});
