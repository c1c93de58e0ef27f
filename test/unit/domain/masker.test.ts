import { Masker } from '../../../src/domain/masker';
import { CANARY } from '../../helpers/canary';

const S = CANARY.apiSecret;
const feed = (m: Masker, parts: string[]) => Buffer.concat([...parts.map((p) => m.push(Buffer.from(p))), m.flush()]).toString();

describe('Masker', () => {
  it('masks a secret split at every possible position, in 2 and 3 writes', () => {
    const text = `before ${S} middle ${S}after`;
    const expected = 'before <concealed:K> middle <concealed:K>after';
    for (let i = 0; i <= text.length; i++) {
      expect(feed(new Masker([{ name: 'K', value: S }]), [text.slice(0, i), text.slice(i)])).toBe(expected);
      const j = Math.floor((i + text.length) / 2);
      expect(feed(new Masker([{ name: 'K', value: S }]), [text.slice(0, i), text.slice(i, j), text.slice(j)])).toBe(expected);
    }
  });

  it('output that ends inside a secret: a start of 8 bytes or more is masked, a shorter one is not', () => {
    const k = [{ name: 'K', value: S }];
    expect(feed(new Masker(k), ['cut here: ', S.slice(0, 8)])).toBe('cut here: <concealed:K>');
    expect(feed(new Masker(k), ['cut here: ', S.slice(0, S.length - 1)])).toBe('cut here: <concealed:K>');
    expect(feed(new Masker(k), ['cut here: ', S.slice(0, 7)])).toBe(`cut here: ${S.slice(0, 7)}`);
    // JSON-escaped forms count as the secret's encodings do.
    expect(feed(new Masker([{ name: 'P', value: 'line1\nline2-and-more' }]), ['"line1\\nline'])).toBe('"<concealed:P>');
  });

  it('masks byte by byte, and several secrets, longest first', () => {
    const m = new Masker([{ name: 'A', value: 'abc' }, { name: 'B', value: 'abcdef' }, { name: 'P', value: CANARY.passphrase }]);
    const text = `x abcdef y abc z ${CANARY.passphrase}!`;
    expect(feed(m, [...text])).toBe('x <concealed:B> y <concealed:A> z <concealed:P>!');
  });

  it('passes other output through unchanged and holds back only a possible prefix', () => {
    const m = new Masker([{ name: 'K', value: 'secret' }]);
    expect(m.push(Buffer.from('hello sec')).toString()).toBe('hello ');
    expect(m.push(Buffer.from('ond\n')).toString()).toBe('second\n');
    expect(m.flush().toString()).toBe('');
  });

  it('handles multi-byte UTF-8 values split inside a character', () => {
    const v = 'clé-секрет-鍵';
    const bytes = Buffer.from(`a ${v} b`);
    for (let i = 0; i <= bytes.length; i++) {
      const m = new Masker([{ name: 'U', value: v }]);
      const out = Buffer.concat([m.push(bytes.subarray(0, i)), m.push(bytes.subarray(i)), m.flush()]).toString();
      expect(out).toBe('a <concealed:U> b');
    }
  });
});
