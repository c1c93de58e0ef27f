// The committed vectors are what the generator makes, and each has the outcome it states.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuthError, CorruptError } from '../../../src/errors';
import { decodeFile } from '../../../src/format/header';
import { openBody, unwrapWithKeychainKey } from '../../../src/format/seal';
import { generateVectors, parseVector } from '../../vectors/generate';
import { tryOpen } from '../../helpers/vault-bytes';

const DIR = join(__dirname, '../../vectors');
const committed = readdirSync(DIR).filter((f) => f.endsWith('.txt')).sort();

it('the generator reproduces every committed vector, and no other', async () => {
  const made = await generateVectors();
  expect(made.map((v) => `${v.name}.txt`).sort()).toEqual(committed);
  for (const v of made) expect(v.text).toBe(readFileSync(join(DIR, `${v.name}.txt`), 'utf8'));
});

it('covers every outcome the format defines', () => {
  const outcomes = new Set(committed.map((f) => parseVector(readFileSync(join(DIR, f), 'utf8')).fields.expect));
  expect([...outcomes].sort()).toEqual(['auth', 'corrupt', 'success']);
});

describe.each(committed)('%s', (file) => {
  it('has the stated outcome', async () => {
    const { fields, file: bytes } = parseVector(readFileSync(join(DIR, file), 'utf8'));
    const r = tryOpen(bytes, fields.passphrase!);
    // A body on several lines (format 2's line layout) is given as a JSON string.
    if (fields['body-json']) fields.body = JSON.parse(fields['body-json']) as string;
    if (fields.expect === 'success') {
      expect(r.err).toBeUndefined();
      expect(r.plain).toBe(fields.body);
      if (fields['keychain-key']) {
        const parsed = decodeFile(bytes);
        const key = unwrapWithKeychainKey(parsed, Uint8Array.from(Buffer.from(fields['keychain-key'], 'hex')));
        expect(new TextDecoder().decode(openBody(parsed, key!))).toBe(fields.body);
      }
    } else {
      expect(r.plain).toBeUndefined();
      expect(r.err).toBeInstanceOf(fields.expect === 'auth' ? AuthError : CorruptError);
    }
  });
});
