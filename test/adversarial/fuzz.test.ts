// Fuzzing with fast-check: the readers of untrusted input, on random input and on mutations
// of real files. Each case ends in a result or a documented error (a VaultError with its exit
// code), never a crash, within a time bound. CI size 10,000 cases each; `--long` 1,000,000.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { planDotenvImport } from '../../src/app/import-dotenv';
import { ready } from '../../src/crypto/sodium';
import { emptyDoc, parseDoc, serializeDoc } from '../../src/domain/document';
import { parseEnvFile, quoteForDotenv } from '../../src/domain/env-file';
import { Secret } from '../../src/domain/secret';
import { templateRefs } from '../../src/domain/template';
import { AuthError, CorruptError, UsageError, VaultError } from '../../src/errors';
import { decodeFile } from '../../src/format/header';
import { KDF_ARGON2ID13, KDF_FLOOR, MAGIC } from '../../src/format/limits';
import { makeKeychainSlot, newVault, openBody, sealFile, unwrapWithKeychainKey, VaultKeys } from '../../src/format/seal';
import { size, timeLimit } from '../helpers/adversarial';

const CASES = size(10_000, 1_000_000);
/** Catches a runaway case (a regex or loop that never ends), not a slow one on a loaded machine. */
const CASE_MS = 10_000;

/** Runs fn on one case: a result, or one of the allowed error classes, within CASE_MS. */
function documented(fn: () => unknown, ...allowed: (new (...a: never[]) => VaultError)[]): boolean {
  const t0 = performance.now();
  try {
    fn();
  } catch (err) {
    if (!allowed.some((c) => err instanceof c)) throw err;
    // One line, and never more than a short message: an error never carries the input.
    expect((err as Error).message).not.toMatch(/\n/);
    expect((err as Error).message.length).toBeLessThan(300);
  }
  const ms = performance.now() - t0;
  if (ms > CASE_MS) throw new Error(`a case took ${ms.toFixed(0)} ms`);
  return true;
}

/** A real vault with two slots and a body holding entries, a profile and config. */
let real: { file: Uint8Array; dataKey: VaultKeys; keychainKey: Uint8Array; body: Uint8Array };
beforeAll(async () => {
  await ready();
  const doc = emptyDoc();
  const now = new Date(0).toISOString();
  doc.entries.set('okx-main', { name: 'okx-main', exchange: 'okx', permissions: ['read', 'trade'], ips: ['203.0.113.7'], created: now, updated: now, env: { apiKey: 'OKX_KEY' }, secrets: { apiKey: new Secret('k'.repeat(36)), apiSecret: new Secret('s'.repeat(32)), passphrase: new Secret('p-1') }, rotation: { everyDays: 90 } });
  doc.entries.set('cb', { name: 'cb', exchange: 'coinbase', permissions: ['read'], ips: [], created: now, updated: now, env: {}, secrets: { apiKey: new Secret('organizations/x/apiKeys/y'), privateKey: new Secret('-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----\n') } });
  doc.profiles.set('bot', { name: 'bot', entries: ['okx-main'], map: { OKX_KEY: { entry: 'okx-main', field: 'apiKey' } }, pristine: false, allowWithdraw: false, keep: [] });
  doc.config.keepVersions = 5;
  const body = serializeDoc(doc);
  const v = newVault('fuzz passphrase 1234', { alg: KDF_ARGON2ID13, ...KDF_FLOOR });
  const keychainKey = new Uint8Array(32).fill(7);
  const header = { ...v.header, slots: [...v.header.slots, makeKeychainSlot(v.header, v.dataKey, keychainKey)] };
  real = { file: sealFile(header, v.dataKey, body), dataKey: v.dataKey, keychainKey, body };
});

/** Mutations of a byte string: bit flips, overwrites, deletions, insertions, duplications. */
const mutated = (original: () => Uint8Array) =>
  fc
    .array(
      fc.oneof(
        fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
        fc.record({ op: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
        fc.record({ op: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 64 }) }),
        fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
        fc.record({ op: fc.constant('dup' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 128 }) }),
      ),
      { minLength: 1, maxLength: 4 },
    )
    .map((ops) => {
      let b = Buffer.from(original());
      for (const m of ops) {
        const at = b.length ? m.at % b.length : 0;
        if (m.op === 'flip' && b.length) b[at]! ^= 1 << m.bit;
        else if (m.op === 'set' && b.length) b[at] = m.byte;
        else if (m.op === 'delete') b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.len)]);
        else if (m.op === 'insert') b = Buffer.concat([b.subarray(0, at), Buffer.from(m.bytes), b.subarray(at)]);
        else if (m.op === 'dup') b = Buffer.concat([b.subarray(0, at + m.len), b.subarray(at)]);
      }
      return new Uint8Array(b);
    });

const opts = { numRuns: CASES };

it(`header parser: ${CASES} random files, with and without a valid preamble`, () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), fc.boolean(), (bytes, preamble) => {
      const file = preamble ? new Uint8Array([...MAGIC, 0, 1, ...bytes]) : bytes;
      return documented(() => decodeFile(file), CorruptError);
    }),
    opts,
  );
}, timeLimit(300_000));

it(`header parser and body reader: ${CASES} mutations of a real two-slot vault are refused or unchanged`, () => {
  fc.assert(
    fc.property(mutated(() => real.file), (file) => {
      const same = Buffer.compare(Buffer.from(file), Buffer.from(real.file)) === 0;
      let opened = false;
      documented(() => {
        const parsed = decodeFile(file);
        // Either slot may be what the mutation hit: the keychain key opens its own slot only.
        const dataKey = unwrapWithKeychainKey(parsed, real.keychainKey) ?? real.dataKey;
        parseDoc(openBody(parsed, dataKey));
        opened = true;
      }, CorruptError, AuthError);
      // Only an unchanged file opens: every changed byte is authenticated.
      return opened === same || (opened && same);
    }),
    opts,
  );
}, timeLimit(300_000));

it(`body reader: ${CASES} random JSON documents and mutated real bodies`, () => {
  const text = () => new TextDecoder().decode(real.body);
  fc.assert(
    fc.property(
      fc.oneof(
        fc.json().map((j) => new TextEncoder().encode(j)),
        mutated(() => real.body),
        fc.jsonValue().map((j) => new TextEncoder().encode(JSON.stringify({ v: 1, entries: [j] }))),
        fc.string().map((s) => new TextEncoder().encode(text().replace(/"okx"/, JSON.stringify(s)))),
      ),
      (bytes) => documented(() => parseDoc(bytes), CorruptError),
    ),
    opts,
  );
}, timeLimit(300_000));

describe('.env importer', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exvault-fuzz-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const line = fc.oneof(
    fc.constantFrom('BINANCE_API_KEY=abc', 'BINANCE_API_SECRET="x y"', "OKX_PASSPHRASE='q'", 'export KRAKEN_API_KEY=z', 'apiKey=1', 'secret=2', '# comment', '', 'X=`a`', 'MULTI="a\nb"'),
    fc.string(),
    fc.tuple(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,20}$/), fc.string()).map(([k, v]) => `${k}=${v}`),
  );
  it(`${CASES} random .env files give a plan or a one-line UsageError`, () => {
    const file = path.join(dir, 'bot.env');
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), fc.option(fc.constantFrom('binance', 'okx', 'kraken') as fc.Arbitrary<'binance' | 'okx' | 'kraken'>), (lines, exchange) => {
        fs.writeFileSync(file, lines.join(Math.random() < 0.5 ? '\n' : '\r\n'));
        return documented(() => planDotenvImport(file, undefined, exchange ?? undefined), UsageError);
      }),
      opts,
    );
  }, timeLimit(300_000));
});

it(`env-file reader: ${CASES} random files; every quoted value reads back exactly`, () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.string(), fc.constantFrom('A=1', 'export B="x y"', "C='q'", '#c', 'D=vault://e/f', 'E=vault://', '=', 'F="unterminated')), { maxLength: 8 }), (lines) => {
      const text = lines.join('\n');
      documented(() => parseEnvFile(text), UsageError);
      documented(() => templateRefs(text), UsageError);
      return true;
    }),
    opts,
  );
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }).filter((v) => !v.startsWith('vault://')), (value) => {
      // A value no dotenv quoting carries (all three quotes and a line break, say) is refused by its writer.
      const quoted = quoteForDotenv(value);
      if (quoted === null) return true;
      const parsed = parseEnvFile(`KEY=${quoted}\n`);
      return parsed.length === 1 && 'value' in parsed[0]! && parsed[0].value === value;
    }),
    opts,
  );
}, timeLimit(300_000));
