import { randomBytes } from 'node:crypto';
import { base64Cores, NeedleMatcher, needlesFor } from '../../../src/domain/leak-needles';
import { Entry } from '../../../src/domain/entry';
import { Secret } from '../../../src/domain/secret';

const entry = (secrets: Record<string, string>): Entry => ({
  name: 'e', exchange: 'other', permissions: [], ips: [], created: 'c', updated: 'u', env: {},
  secrets: Object.fromEntries(Object.entries(secrets).map(([k, v]) => [k, new Secret(v)])),
});

it('a base64 core is found inside base64 of any text around the value', () => {
  const value = Buffer.from('the-secret-value-123');
  const cores = base64Cores(value);
  for (let pre = 0; pre < 6; pre++) {
    for (let post = 0; post < 4; post++) {
      const enc = Buffer.concat([randomBytes(pre), value, randomBytes(post)]).toString('base64');
      expect(cores.some((c) => enc.includes(c))).toBe(true);
    }
  }
});

it('the one-pass matcher finds what a search per needle finds, on the right lines', () => {
  const values = Array.from({ length: 40 }, (_, i) => `v${i}-${randomBytes(9).toString('base64')}`);
  const { needles } = needlesFor([entry(Object.fromEntries(values.map((v, i) => [`f${i}`, v])))]);
  const matcher = new NeedleMatcher(needles);
  for (let round = 0; round < 50; round++) {
    const lines = Array.from({ length: 20 }, () => (Math.random() < 0.2 ? `x ${values[Math.floor(Math.random() * values.length)]} y` : randomBytes(30).toString('hex')));
    const buf = Buffer.from(lines.join('\n'));
    const expected = lines.flatMap((l, i) => values.filter((v) => l.includes(v)).map((v, _, __) => `${values.indexOf(v)}@${i + 1}`)).sort();
    const got = matcher.find(buf).filter((h) => h.form === 'raw').map((h) => `${h.label.slice(2, h.label.indexOf(' '))}@${h.line}`).map((s) => s.replace(/^f/, '')).sort();
    expect(got).toEqual(expected);
  }
});

it('values shorter than 8 characters are skipped and counted', () => {
  const { needles, skipped } = needlesFor([entry({ apiKey: 'short', apiSecret: 'long enough value' })]);
  expect(skipped).toBe(1);
  expect(new Set(needles.map((n) => n.label))).toEqual(new Set(['e.apiSecret (v1, active)']));
});
