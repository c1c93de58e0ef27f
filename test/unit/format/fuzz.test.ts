// Random input into the parsers that read untrusted bytes: only documented errors, quickly.
// EXVAULT_FUZZ_CASES sets the number of cases (CI size by default).
import { randomBytes } from 'node:crypto';
import { CorruptError, UsageError } from '../../../src/errors';
import { parseEnvFile } from '../../../src/domain/env-file';
import { templateRefs } from '../../../src/domain/template';
import { decodeFile } from '../../../src/format/header';
import { MAGIC } from '../../../src/format/limits';

const CASES = Number(process.env.EXVAULT_FUZZ_CASES ?? 5000);
const pick = <T>(xs: T[]) => xs[Math.floor(Math.random() * xs.length)]!;

function randomText(): string {
  const parts = ['A=1', 'export B="x y"', "C='q'", '#c', 'vault://', 'vault://e/f', '{{ vault://a/b }}', '{{', '}}', '=', '"', "'", '\\', '\n', '\r\n', ' ', '\0', 'é', '\u2028'];
  return Array.from({ length: Math.floor(Math.random() * 12) }, () => (Math.random() < 0.2 ? randomBytes(4).toString('latin1') : pick(parts))).join('');
}

it(`header parser: ${CASES} random and mutated files give CorruptError or a parse, never anything else`, () => {
  for (let i = 0; i < CASES; i++) {
    const body = randomBytes(Math.floor(Math.random() * 300));
    const file = i % 2 ? new Uint8Array([...MAGIC, 0, 1, ...body]) : new Uint8Array(body);
    const t0 = performance.now();
    try {
      decodeFile(file);
    } catch (err) {
      expect(err).toBeInstanceOf(CorruptError);
    }
    expect(performance.now() - t0).toBeLessThan(50);
  }
});

it(`env-file and template readers: ${CASES} random texts give UsageError or a parse`, () => {
  for (let i = 0; i < CASES; i++) {
    const text = randomText();
    for (const parse of [parseEnvFile, templateRefs]) {
      try {
        parse(text);
      } catch (err) {
        expect(err).toBeInstanceOf(UsageError);
      }
    }
  }
});
