// The strict POSIX-sh reader inject uses to check .env files: what it reads must be what
// /bin/sh reads (`set -a; . ./f`), and what it cannot vouch for is null, never a guess.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { parse as parseDotenv } from 'dotenv';
import { Entry } from '../../../src/domain/entry';
import { exportEnv } from '../../../src/domain/export-format';
import { Secret } from '../../../src/domain/secret';
import { readShEnv } from '../../../src/domain/sh-env-reader';

const sh = (text: string, names: string[]): string[] => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sh-reader-'));
  try {
    fs.writeFileSync(path.join(dir, 'f.env'), text, { mode: 0o600 });
    const r = spawnSync('/bin/sh', ['-c', `set -a; . ./f.env; printf '%s\\0' ${names.map((n) => `"$${n}"`).join(' ')}`], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(0);
    return r.stdout.split('\0').slice(0, names.length);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
};

it('reads plain assignments as sh does: quotes, sh double-quote escapes, export, comments, multi-line', () => {
  const text = "# c\nexport A='x y'\"\\\\ \\\" \\$ \\a\"b # note\nB=\nC='l1\nl2'\nD=\"p\\\nq\"\n";
  const got = readShEnv(text);
  expect(Object.fromEntries(got)).toEqual({ A: 'x y\\ " $ \\ab', B: '', C: 'l1\nl2', D: 'pq' });
  expect(sh(text, ['A', 'B', 'C', 'D'])).toEqual(['x y\\ " $ \\ab', '', 'l1\nl2', 'pq']);
});

it('anything a shell may read otherwise or run is null, and an unclosed quote stops the reading', () => {
  const got = readShEnv("J=\nX=a;b\nE=\"$HOME\"\nT=a*b\nOK=1\nU=\"a\\\"\nNEXT=\"b\"\nLATER=1\n");
  expect(Object.fromEntries(got)).toEqual({ J: '', X: null, E: null, T: null, OK: '1', U: null });
  // Text after the word that holds a quote: where it ends is unknown, so nothing after counts.
  expect(Object.fromEntries(readShEnv("AUTH=Bearer 'x'\nB=1\n"))).toEqual({ AUTH: null });
  // ${NAME} that closes on its line is not plain but does not stop the reading; an unclosed one does.
  expect(Object.fromEntries(readShEnv('A=${HOME}/x\nB=1\n'))).toEqual({ A: null, B: '1' });
  expect(Object.fromEntries(readShEnv("A=${X:-'}\nB=1\n"))).toEqual({ A: null });
  // Not an assignment: where the next statement starts is unknown, so nothing after counts.
  expect(readShEnv('f() {\nA=1\n}\n').size).toBe(0);
});

it("property: what `export --format env` writes, this reader, /bin/sh and dotenv read back exactly", () => {
  const ch = fc.constantFrom(...'aZ9 "\'\\#$`\n\t{}()é鍵😀;|&*~'.split(/(?:)/u));
  const value = fc.array(ch, { minLength: 1, maxLength: 20 }).map((a) => a.join(''));
  fc.assert(
    fc.property(value, value, (a, b) => {
      const entry: Entry = { name: 'okx', exchange: 'okx', permissions: [], ips: [], created: '2026-01-01', updated: '2026-01-01', env: {}, secrets: { apiKey: new Secret(a), apiSecret: new Secret(b) } };
      let text: string;
      try {
        text = exportEnv({ entries: [entry] });
      } catch {
        return; // refused, naming the field (export-format's own rule)
      }
      const names = [...text.matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]!);
      const want = Object.fromEntries(names.map((n, i) => [n, [a, b][i]!]));
      expect(Object.fromEntries(readShEnv(text))).toEqual(want);
      expect(parseDotenv(text)).toEqual(want);
      expect(sh(text, names)).toEqual(names.map((n) => want[n]));
    }),
    { numRuns: 100 },
  );
});
