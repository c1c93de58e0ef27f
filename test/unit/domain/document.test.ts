import { randomBytes } from 'node:crypto';
import { CorruptError } from '../../../src/errors';
import { canonicalJson } from '../../../src/domain/canonical-json';
import { emptyDoc, parseDoc, serializeDoc } from '../../../src/domain/document';
import { Secret } from '../../../src/domain/secret';
import { CANARY } from '../../helpers/canary';

const PEM = '-----BEGIN PRIVATE KEY-----\r\nMC4CAQAwBQYDK2VwBCIEIB\r\n-----END PRIVATE KEY-----\r\n';

function sampleDoc() {
  const doc = emptyDoc();
  doc.entries.set('cb', {
    name: 'cb', exchange: 'coinbase', permissions: ['view'], ips: [], created: 'c', updated: 'u', env: {},
    secrets: { apiKey: new Secret(CANARY.apiKey), privateKey: new Secret(PEM) },
  });
  doc.entries.set('a', { name: 'a', exchange: 'other', permissions: [], ips: [], created: 'c', updated: 'u', env: { apiKey: 'A_KEY' }, secrets: { apiKey: new Secret('x') }, label: 'l' });
  return doc;
}

it('round-trips entries, keeping multi-line PEM keys byte for byte', () => {
  const doc = parseDoc(serializeDoc(sampleDoc()));
  expect(doc.entries.get('cb')!.secrets.privateKey!.reveal()).toBe(PEM);
  expect(doc.entries.get('a')!.label).toBe('l');
  expect(serializeDoc(doc)).toEqual(serializeDoc(sampleDoc()));
});

it('is canonical: key order does not change the bytes', () => {
  expect(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }] })).toBe('{"a":[{"c":2,"d":1}],"b":1}');
});

it('refuses malformed bodies with one documented error and never quotes the text', () => {
  const good = Buffer.from(serializeDoc(sampleDoc()));
  const inputs: Buffer[] = [Buffer.from('{'), Buffer.from('null'), Buffer.from('{"v":1}'), Buffer.from('{"v":2,"entries":[]}'), Buffer.from([0xff, 0xfe])];
  for (let i = 0; i < 3000; i++) {
    const b = Buffer.from(good);
    const n = 1 + (i % 4);
    for (let j = 0; j < n; j++) b[Math.floor(Math.random() * b.length)] = randomBytes(1)[0]!;
    inputs.push(i % 10 === 0 ? randomBytes(i % 200) : b.subarray(0, Math.floor(Math.random() * b.length) + (i % 2 ? b.length : 0)));
  }
  for (const input of inputs) {
    try {
      parseDoc(input);
    } catch (err) {
      expect(err).toBeInstanceOf(CorruptError);
      expect((err as Error).message).not.toContain(CANARY.apiKey.slice(0, 12));
    }
  }
});

describe('the line layout: one entry per line, decoded on first use', () => {
  const text = (doc: ReturnType<typeof emptyDoc>) => new TextDecoder().decode(serializeDoc(doc));

  it('puts each entry on its own line, name first, and the whole body is still JSON', () => {
    const t = text(sampleDoc());
    const lines = t.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(/^\{"name":"a",/);
    expect(lines[2]).toMatch(/^\{"name":"cb",/);
    expect(JSON.parse(t).entries.map((e: { name: string }) => e.name)).toEqual(['a', 'cb']);
  });

  it('reads bodies written before the layout (one canonical line) to the same document', () => {
    const old = JSON.parse(text(sampleDoc()));
    const doc = parseDoc(new TextEncoder().encode(canonicalJson(old)));
    expect(serializeDoc(doc)).toEqual(serializeDoc(sampleDoc()));
  });

  it('decodes an entry only when it is used, and writes untouched lines back as they were', () => {
    const t = text(sampleDoc());
    // A line whose JSON is broken but whose name is readable: nothing notices until it is used.
    const broken = t.replace(/\{"name":"cb",[^\n]*\n/, '{"name":"cb",BROKEN\n');
    const doc = parseDoc(new TextEncoder().encode(broken));
    expect(doc.entries.size).toBe(2);
    expect(doc.entries.get('a')!.label).toBe('l');
    doc.entries.get('a')!.label = 'changed';
    expect(new TextDecoder().decode(serializeDoc(doc))).toContain('{"name":"cb",BROKEN\n');
    expect(() => doc.entries.get('cb')).toThrow(CorruptError);
    expect(() => [...parseDoc(new TextEncoder().encode(broken)).entries.values()]).toThrow(CorruptError);
  });

  it('refuses lines without a readable name, duplicate names, and a layout cut short', () => {
    const t = text(sampleDoc());
    for (const bad of [t.replace('{"name":"a",', '{"label":"a",'), t.replace('{"name":"cb",', '{"name":"a",'), t.replace('{"name":"a",', '{"name":"A",'), t.slice(0, t.lastIndexOf('\n]'))]) {
      expect(() => parseDoc(new TextEncoder().encode(bad))).toThrow(CorruptError);
    }
  });
});

describe('recipient names in the config', () => {
  const rcpt = 'age1g8632q7p5axgkhsn9ry7rvdwztf7q70awdsxa7xw73q86me6pcwsv797tw';
  const body = (recipients: unknown) => new TextEncoder().encode(canonicalJson({ v: 1, entries: [], config: { recipients } }));

  it('round-trip through the body', () => {
    const doc = emptyDoc();
    doc.config.recipients = { 'vps-grid': rcpt };
    expect(parseDoc(serializeDoc(doc)).config.recipients).toEqual({ 'vps-grid': rcpt });
  });

  it.each([[[rcpt]], [{ 'Bad Name': rcpt }], [{ ok: 5 }], [null]])('a malformed map is refused: %j', (recipients) => {
    expect(() => parseDoc(body(recipients))).toThrow(CorruptError);
  });
});

describe('the exposed mark and the audit head host', () => {
  it('round-trip through the body; a malformed mark is corrupt', () => {
    const doc = emptyDoc();
    doc.entries.set('k', { name: 'k', exchange: 'okx', permissions: [], ips: [], created: 'c', updated: 'u', env: {}, secrets: { apiKey: new Secret('v') }, exposed: { at: '2026-03-01T00:00:00.000Z', by: ['vps'] } });
    doc.auditHead = { seq: 3, mac: 'ab', host: '0'.repeat(32) };
    const back = parseDoc(serializeDoc(doc));
    expect(back.entries.get('k')!.exposed).toEqual({ at: '2026-03-01T00:00:00.000Z', by: ['vps'] });
    expect(back.auditHead).toEqual({ seq: 3, mac: 'ab', host: '0'.repeat(32) });
    const bad = Buffer.from(serializeDoc(doc)).toString().replace('"by":["vps"]', '"by":"vps"');
    expect(bad).toContain('"by":"vps"');
    expect(() => parseDoc(new TextEncoder().encode(bad)).entries.get('k')).toThrow(/not in the expected shape/);
  });
});

it('keeps the write counter (absent: none; refused when not a count)', () => {
  const doc = sampleDoc();
  expect(parseDoc(serializeDoc(doc)).writes).toBeUndefined();
  doc.writes = 41;
  const back = parseDoc(serializeDoc(doc));
  expect(back.writes).toBe(41);
  expect(back.entries.get('cb')!.secrets.privateKey!.reveal()).toBe(PEM);
  for (const bad of ['-1', '1.5', '"3"', 'null']) {
    expect(() => parseDoc(new TextEncoder().encode(`{"entries":[],"v":1,"writes":${bad}}`))).toThrow(CorruptError);
  }
});
