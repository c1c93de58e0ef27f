// What `vault scan` looks for: every secret value of every version, raw and in the encodings
// keys are usually pasted in. Exact matches only, so a look-alike string is never a hit.
import { Entry } from './entry';

export const MIN_NEEDLE_CHARS = 8;

export interface Needle {
  /** "entry.field (v2, previous)": what is reported instead of the value. */
  label: string;
  form: 'raw' | 'base64' | 'base64url' | 'url';
  bytes: Buffer;
}

/**
 * The part of base64(prefix + value) that depends on the value alone, for each of the three
 * alignments a value can have inside a longer base64 text (basic-auth headers, config blobs).
 */
export function base64Cores(value: Buffer): string[] {
  const out: string[] = [];
  for (let k = 0; k < 3; k++) {
    const enc = Buffer.concat([Buffer.alloc(k), value]).toString('base64');
    const start = Math.ceil((8 * k) / 6);
    const end = Math.floor((8 * (k + value.length)) / 6);
    out.push(enc.slice(start, end));
  }
  return out;
}

export function needlesFor(entries: Entry[]): { needles: Needle[]; skipped: number } {
  const needles: Needle[] = [];
  let skipped = 0;
  const seen = new Set<string>();
  for (const e of entries) {
    const versions = [{ n: e.version ?? 1, state: 'active', secrets: e.secrets }, ...(e.history ?? [])];
    for (const v of versions) {
      for (const [field, secret] of Object.entries(v.secrets)) {
        const value = secret.reveal();
        if (value.length < MIN_NEEDLE_CHARS) {
          skipped++;
          continue;
        }
        const label = `${e.name}.${field} (v${v.n}, ${v.state})`;
        const raw = Buffer.from(value);
        const forms: [Needle['form'], string][] = [['raw', value]];
        for (const core of base64Cores(raw)) {
          forms.push(['base64', core], ['base64url', core.replace(/\+/g, '-').replace(/\//g, '_')]);
        }
        const url = encodeURIComponent(value);
        if (url !== value) forms.push(['url', url]);
        for (const [form, text] of forms) {
          const key = `${label}|${text}`;
          if (seen.has(key) || text.length < MIN_NEEDLE_CHARS) continue;
          seen.add(key);
          needles.push({ label, form, bytes: Buffer.from(text) });
        }
      }
    }
  }
  return { needles, skipped };
}

export interface Hit {
  label: string;
  form: Needle['form'];
  line: number;
}

const escapeRe = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** Alternatives per regular expression: large vaults get several, each still fast to build. */
const PER_REGEX = 2000;

/**
 * All needles in one pass per file: a regular expression alternation over the bytes read as
 * latin1 (one character per byte, so offsets are byte offsets and matching is exact). About
 * twenty times faster than one indexOf per needle with a thousand needles.
 */
export class NeedleMatcher {
  private readonly regexes: RegExp[];
  private readonly byText = new Map<string, Needle[]>();

  constructor(needles: Needle[]) {
    for (const n of needles) {
      const t = n.bytes.toString('latin1');
      this.byText.set(t, [...(this.byText.get(t) ?? []), n]);
    }
    // Longest first, so the longest needle at a position is the one matched.
    const texts = [...this.byText.keys()].sort((a, b) => b.length - a.length);
    this.regexes = [];
    for (let i = 0; i < texts.length; i += PER_REGEX) {
      this.regexes.push(new RegExp(texts.slice(i, i + PER_REGEX).map(escapeRe).join('|'), 'g'));
    }
  }

  find(buf: Buffer): Hit[] {
    if (!this.regexes.length) return [];
    const text = buf.toString('latin1');
    const found: { at: number; needles: Needle[] }[] = [];
    for (const re of this.regexes) {
      re.lastIndex = 0;
      for (let m = re.exec(text); m; m = re.exec(text)) found.push({ at: m.index, needles: this.byText.get(m[0])! });
    }
    found.sort((a, b) => a.at - b.at);
    const hits: Hit[] = [];
    let line = 1;
    let pos = 0;
    for (const f of found) {
      for (let i = text.indexOf('\n', pos); i !== -1 && i < f.at; i = text.indexOf('\n', i + 1)) {
        line++;
        pos = i + 1;
      }
      for (const n of f.needles) {
        // One report per place: the first form found at a line wins.
        if (!hits.some((h) => h.label === n.label && h.line === line)) hits.push({ label: n.label, form: n.form, line });
      }
    }
    return hits;
  }
}
