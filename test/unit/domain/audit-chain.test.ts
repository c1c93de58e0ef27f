// walkChain MACs a record's body as cut from its line (bodyFromLine) and falls back to the
// canonical re-serialisation (recordBody) only when that does not match: these tests hold it to
// accepting exactly what the full check accepts, whitespace games and single-byte edits included.
import { AuditMac, AuditRecord, bodyFromLine, chainFollows, ChainState, GENESIS_MAC, makeRecord, MacFn, recordBody, walkChain } from '../../../src/domain/audit-chain';
import { canonicalJson } from '../../../src/domain/canonical-json';
import { hmacHex, macEquals } from '../../../src/crypto/mac';

const key = new Uint8Array(32).fill(9);
const sign: MacFn = (...parts) => hmacHex(key, ...parts);
const auditMac: AuditMac = { sign, matches: (mac, ...parts) => macEquals(sign(...parts), mac) };
const when = new Date('2026-01-02T03:04:05.678Z');

/** An authenticated record, a failed unlock written with a trailing space, and its cover. */
function log(): string[] {
  let state: ChainState = { seq: 0, authSeq: 0, mac: GENESIS_MAC, pending: [] };
  const first = makeRecord({ cmd: 'exec', program: 'bot.py', entries: [{ entry: 'a', fields: ['apiKey'] }] }, state, sign, when, 1000, 7);
  state = { seq: 1, authSeq: 1, mac: first.record.mac!, pending: [] };
  const failed = `${makeRecord({ cmd: 'unlock-failed' }, state, null, when, 1000, 8).line} `;
  state = { ...state, seq: 2, pending: [failed] };
  const cover = makeRecord({ cmd: 'chain', result: '1 failed unlock' }, state, sign, when, 1000, 9);
  return [first.line, failed, cover.line];
}

/** The check as it was before the shortcut: every MAC over the record's canonical body. */
function referenceAccepts(lines: string[]): boolean {
  let prev = GENESIS_MAC;
  let seq = 0;
  let pending: string[] = [];
  for (const line of lines) {
    let r: AuditRecord;
    try {
      r = JSON.parse(line);
    } catch {
      return false;
    }
    if (typeof r !== 'object' || r === null || r.seq !== seq + 1) return false;
    seq = r.seq;
    if (r.mac === null) {
      pending.push(line);
      continue;
    }
    if (typeof r.mac !== 'string' || r.prev !== prev) return false;
    const { mac, ...rest } = r;
    if (!macEquals(sign(prev, ...pending, recordBody(rest)), mac)) return false;
    prev = mac;
    pending = [];
  }
  return true;
}

it('cuts the body out of a canonical line, and gives up on any other shape', () => {
  const [line] = log();
  const r = JSON.parse(line!) as AuditRecord;
  const { mac, ...rest } = r;
  expect(bodyFromLine(line!, mac!)!.join('')).toBe(recordBody(rest));
  expect(bodyFromLine(` ${line}`, mac!)).toBeNull();
  expect(bodyFromLine(`${line} `, mac!)).toBeNull();
  expect(bodyFromLine(line!, 'f'.repeat(64))).toBeNull();
});

it('verifies a log it wrote, and hands back only the records asked for', () => {
  const lines = log();
  const all = walkChain(lines, auditMac);
  expect(all.problem).toBeNull();
  expect(all.records.map((r) => r.seq)).toEqual([1, 2, 3]);
  const some = walkChain(lines, auditMac, new Set([3]));
  expect(some.problem).toBeNull();
  expect(some.count).toBe(3);
  expect(some.records.map((r) => r.seq)).toEqual([1, 3]);
});

it('still accepts a record rewritten with the same content in another key order (as the full check does)', () => {
  const lines = log();
  const r = JSON.parse(lines[2]!) as Record<string, unknown>;
  lines[2] = JSON.stringify(Object.fromEntries(Object.entries(r).reverse()));
  expect(lines[2]).not.toBe(canonicalJson(r));
  expect(referenceAccepts(lines)).toBe(true);
  expect(walkChain(lines, auditMac).problem).toBeNull();
});

it('refuses white space moved from a covered failed unlock onto its cover', () => {
  const lines = log();
  expect(walkChain(lines, auditMac).problem).toBeNull();
  // The MAC input prev || failed || cover is the same bytes after the move; the check is not.
  lines[1] = lines[1]!.trimEnd();
  lines[2] = ` ${lines[2]}`;
  expect(referenceAccepts(lines)).toBe(false);
  expect(walkChain(lines, auditMac).problem).toEqual({ line: 3, message: expect.stringMatching(/does not match its MAC/) });
});

it('accepts a one-byte edit anywhere exactly when the full check does', () => {
  const lines = log();
  const edits = [' ', '"', ',', '}', '{', '0', 'a', '\\'];
  let tried = 0;
  for (let l = 0; l < lines.length; l++) {
    const line = lines[l]!;
    for (let at = 0; at <= line.length; at++) {
      const variants = [line.slice(0, at) + line.slice(at + 1), ...edits.map((c) => line.slice(0, at) + c + line.slice(at)), ...edits.map((c) => line.slice(0, at) + c + line.slice(at + 1))];
      for (const v of variants) {
        if (v === line) continue;
        const edited = lines.map((x, i) => (i === l ? v : x));
        const walked = walkChain(edited, auditMac).problem === null;
        // The walk also checks the failed unlock's shape and times, which the reference does not.
        if (walked) expect(referenceAccepts(edited)).toBe(true);
        if (l !== 1 && referenceAccepts(edited)) expect(walked).toBe(true);
        tried++;
      }
    }
  }
  expect(tried).toBeGreaterThan(5000);
});

describe('chainFollows: what a new chain names as its predecessor (rt22 #5)', () => {
  const rec = (result: string, cmd = 'new-chain') => ({ seq: 1, time: '2026-01-01T00:00:00.000Z', cmd, result, mac: 'x' }) as unknown as AuditRecord;
  it('reads the record and MAC from audit new-chain, a re-key and a copied chain', () => {
    expect(chainFollows(rec('host 0123456789abcdef0123456789abcdef; follows record 8, mac 12a7c0ffee001122'))).toEqual({ seq: 8, mac: '12a7c0ffee001122' });
    expect(chainFollows(rec('follows record 2, mac e33f00aa11bb22cc (the vault was re-keyed when recipient laptop was removed)'))).toEqual({ seq: 2, mac: 'e33f00aa11bb22cc' });
    expect(chainFollows(rec('host 0123456789abcdef0123456789abcdef; follows laptop (abcd1234) record 5, mac 0011223344556677; copied here, kept aside'))).toEqual({ seq: 5, mac: '0011223344556677' });
  });
  it('names none for the genesis, a copy with no chain, or another kind of record', () => {
    expect(chainFollows(rec('follows record 0, mac 0000000000000000'))).toBeNull();
    expect(chainFollows(rec('host 0123456789abcdef0123456789abcdef; follows none on this host (the vault was copied or synced here)'))).toBeNull();
    expect(chainFollows(rec('follows record 8, mac 12a7c0ffee001122', 'get'))).toBeNull();
    expect(chainFollows(undefined)).toBeNull();
  });
});
