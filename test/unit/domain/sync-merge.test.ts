// The pure halves of vault sync's merge: keepBoth keeps one side's entry active and the other's
// secrets in its history (numbered after every existing version, nothing dropped); mergeMeta
// merges settings key by key and profiles by name, reports a key changed on both sides, and
// keeps this host's audit head.
import { keepBoth } from '../../../src/domain/entry-merge';
import { mergeMeta } from '../../../src/domain/meta-merge';
import { Entry } from '../../../src/domain/entry';
import { Secret } from '../../../src/domain/secret';

const entry = (key: string, history: Entry['history'] = []): Entry => ({
  name: 'bot', exchange: 'binance', permissions: [], ips: [], created: '2026-01-01T00:00:00.000Z', updated: '2026-01-01T00:00:00.000Z', env: {},
  secrets: { apiKey: new Secret(key), apiSecret: new Secret('s') }, version: history.length + 1, history,
});
const now = new Date('2026-12-02T00:00:00.000Z');

describe('keepBoth', () => {
  it("keeps the other side's exposure mark on the version it moves into the history (rt22 #2)", () => {
    const exposed = { at: '2026-03-01T00:00:00.000Z', by: ['vps-grid'] };
    const r = keepBoth(entry('theirs'), { ...entry('ours'), exposed }, now);
    expect(r.entry.history!.find((v) => v.n === r.keptAs)!.exposed).toEqual(exposed);
    expect(r.entry.exposed).toBeUndefined();
  });
  it("keeps the winner active and the other's secrets as the next version number", () => {
    const old = { n: 1, activated: 'x', retired: 'y', state: 'previous' as const, secrets: { apiKey: new Secret('k0'), apiSecret: new Secret('s') } };
    const r = keepBoth(entry('theirs', [old]), entry('ours', [old]), now);
    expect(r.entry.secrets.apiKey!.reveal()).toBe('theirs');
    expect(r.keptAs).toBe(3);
    expect(r.entry.history!.map((v) => [v.n, v.secrets.apiKey!.reveal()])).toEqual([[3, 'ours'], [1, 'k0']]);
  });

  it('keeps nothing twice: the same secrets on both sides add no version', () => {
    const r = keepBoth(entry('same'), entry('same'), now);
    expect(r.keptAs).toBeNull();
    expect(r.entry.history).toBeUndefined();
  });

  it("keeps the other side's earlier versions the winner lacks", () => {
    const mine = { n: 1, activated: 'x', retired: 'y', state: 'previous' as const, secrets: { apiKey: new Secret('mine-old'), apiSecret: new Secret('s') } };
    const r = keepBoth(entry('theirs'), entry('ours', [mine]), now);
    expect(r.entry.history!.map((v) => v.secrets.apiKey!.reveal())).toEqual(['ours', 'mine-old']);
    expect(new Set(r.entry.history!.map((v) => v.n)).size).toBe(2);
  });
});

describe('mergeMeta', () => {
  const doc = (config: object, profiles: object[] = [], audit?: object) => ({ v: 1, entries: [], config, profiles, ...(audit && { audit }) });
  it('merges config keys and recipients from both sides, profiles by name', () => {
    const base = doc({ keepVersions: 10, recipients: { a: 'age1a' } }, [{ name: 'p1', x: 1 }]);
    const ours = doc({ keepVersions: 5, recipients: { a: 'age1a', b: 'age1b' } }, [{ name: 'p1', x: 1 }, { name: 'p2', x: 2 }]);
    const theirs = doc({ keepVersions: 10, alertCommand: 'mail', recipients: { a: 'age1a', c: 'age1c' } }, [{ name: 'p1', x: 9 }]);
    const m = mergeMeta(base, ours, theirs);
    expect(m.conflicts).toEqual([]);
    expect(m.merged.config).toEqual({ keepVersions: 5, alertCommand: 'mail', recipients: { a: 'age1a', b: 'age1b', c: 'age1c' } });
    expect(m.merged.profiles).toEqual([{ name: 'p1', x: 9 }, { name: 'p2', x: 2 }]);
  });

  it("reports a key changed on both sides, keeping the remote's, and keeps this host's audit head", () => {
    const m = mergeMeta(doc({ keepVersions: 10 }, [], { seq: 1 }), doc({ keepVersions: 5 }, [], { seq: 7 }), doc({ keepVersions: 3 }, [], { seq: 2 }));
    expect(m.conflicts).toEqual(['config.keepVersions']);
    expect((m.merged.config as { keepVersions: number }).keepVersions).toBe(3);
    expect(m.merged.audit).toEqual({ seq: 7 });
  });
});
