// canonicalJson must give exactly the bytes of the straightforward definition (sorted keys,
// no spaces): the audit chain MACs them, so a change would break every existing log.
import fc from 'fast-check';
import { canonicalJson } from '../../../src/domain/canonical-json';

/** The definition, written the slow and obvious way. */
function reference(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : reference(v))).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${reference(obj[k])}`).join(',')}}`;
}

const key = fc.oneof(fc.string(), fc.constantFrom('0', '1', '10', '9', '42', '007', '-1', '4294967295', 'a', 'B', '_', 'é', '\u2028'));
const json = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, fc.string(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null), tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 5 }),
  object: fc.dictionary(key, fc.oneof(tie('value'), fc.constant(undefined)), { maxKeys: 6 }),
})).value;

it('matches the reference definition on 5,000 random values, index-like keys included', () => {
  fc.assert(fc.property(json, (v) => canonicalJson(v) === reference(v)), { numRuns: 5000 });
});

it('sorts keys lexicographically even where JavaScript would order them numerically', () => {
  expect(canonicalJson({ b: 1, 10: 'x', 9: 'y', a: [{ d: 1, c: 2 }] })).toBe('{"10":"x","9":"y","a":[{"c":2,"d":1}],"b":1}');
  expect(canonicalJson({ b: 1, a: [{ d: 1, c: undefined }] })).toBe('{"a":[{"d":1}],"b":1}');
});


it('keeps a key named __proto__ as a key (fast-check found this one)', () => {
  const v = JSON.parse('{"b":1,"__proto__":{"x":2}}');
  expect(canonicalJson(v)).toBe(reference(v));
  expect(canonicalJson(v)).toBe('{"__proto__":{"x":2},"b":1}');
});
