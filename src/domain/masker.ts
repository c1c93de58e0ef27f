// Replaces secret values in a byte stream with <concealed:VAR>, in every encoding
// secret-encodings.ts knows (JSON-escaped, one PEM line, URL-encoded, base64...), including
// a value split across writes: the tail that could still be the start of a secret is held
// back until the next chunk (or the end) decides it. A convenience against accidents in
// logs, not a boundary: a program that means to leak a value can always transform it.
import { trieRegex } from './needle-matcher';
import { encodingsOf } from './secret-encodings';

export interface MaskTarget {
  name: string;
  value: string;
}

/** What a masker searches for: every encoding of every target, and the searches over them. */
class Patterns {
  readonly targets: { bytes: Buffer; replacement: Buffer }[];
  readonly maxLen: number;
  readonly byFirstByte = new Map<number, { bytes: Buffer; replacement: Buffer }[]>();
  readonly byText = new Map<string, { bytes: Buffer; replacement: Buffer }>();
  readonly search: RegExp;
  readonly searchWithNul: RegExp;

  constructor(targets: MaskTarget[]) {
    // Longest first, so a secret containing another is replaced whole.
    this.targets = targets
      .filter((t) => t.value.length > 0)
      .flatMap((t) => encodingsOf(t.value).map((e) => ({ bytes: e.bytes, replacement: Buffer.from(`<concealed:${t.name}>`) })))
      .sort((a, b) => b.bytes.length - a.bytes.length);
    this.maxLen = Math.max(0, ...this.targets.map((t) => t.bytes.length));
    // One pass per chunk over every encoding (bytes read as latin1: one character per byte),
    // instead of one search per encoding: a value has dozens of them.
    for (const t of this.targets) {
      this.byFirstByte.set(t.bytes[0]!, [...(this.byFirstByte.get(t.bytes[0]!) ?? []), t]);
      const key = t.bytes.toString('latin1');
      if (!this.byText.has(key)) this.byText.set(key, t);
    }
    // The longest encoding at a position is the one replaced. Encodings holding a NUL byte
    // (UTF-16) slow every search several times: they are searched for only in output that
    // has a NUL.
    this.search = trieRegex([...this.byText.keys()].filter((t) => !t.includes('\0')));
    this.searchWithNul = trieRegex([...this.byText.keys()]);
  }
}

/** A secret's first bytes at the very end of the output, at least this many, are masked. */
const MIN_CUT_SECRET = 8;

export class Masker {
  /**
   * Built on the first chunk, not before: they cost about 15M instructions per secret set
   * (callgrind), which `vault exec` would otherwise spend before the program starts, and
   * for nothing when it prints nothing. Shared by maskers made from one another (the
   * program's stdout and stderr): the searches reset lastIndex before each use and run
   * synchronously, so sharing them is safe.
   */
  private readonly shared: { targets: MaskTarget[]; patterns?: Patterns };
  /** No target has a value: output passes through. */
  private readonly none: boolean;
  private carry = Buffer.alloc(0);

  /** `from` another masker: the same targets, and the patterns built once for both. */
  constructor(targets: MaskTarget[] | Masker) {
    this.shared = targets instanceof Masker ? targets.shared : { targets: [...targets] };
    this.none = this.shared.targets.every((t) => t.value.length === 0);
  }

  private get p(): Patterns {
    return (this.shared.patterns ??= new Patterns(this.shared.targets));
  }

  push(chunk: Buffer): Buffer {
    if (this.none) return chunk;
    return this.process(this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk, false);
  }

  /** What is left at the end of the stream: nothing can follow, so nothing is held back. */
  flush(): Buffer {
    return this.none ? Buffer.alloc(0) : this.process(this.carry, true);
  }

  private process(buf: Buffer, final: boolean): Buffer {
    const out: Buffer[] = [];
    let i = 0;
    let holdFrom = -1;
    const text = buf.toString('latin1');
    const p = this.p;
    const search = buf.includes(0) ? p.searchWithNul : p.search;
    for (;;) {
      search.lastIndex = i;
      const m = search.exec(text);
      if (!m) break;
      const best = m.index;
      const hit = p.byText.get(m[0])!;
      // "abc" is complete but "abcdef" may still be arriving: decide when more bytes come.
      const rest = buf.subarray(best);
      if (!final && p.targets.some((t) => t.bytes.length > rest.length && t.bytes.subarray(0, rest.length).equals(rest))) {
        holdFrom = best;
        break;
      }
      out.push(buf.subarray(i, best), hit.replacement);
      i = best + hit.bytes.length;
    }
    if (holdFrom === -1 && final) {
      // Output cut off inside a secret (a program killed, or that cut its own output): a
      // start of one that long is masked too; a few bytes that merely could begin one are not.
      const tail = this.heldTail(buf, i);
      if (tail.k >= MIN_CUT_SECRET) {
        out.push(buf.subarray(i, buf.length - tail.k), tail.replacement!);
        i = buf.length;
      }
      holdFrom = buf.length;
    }
    if (holdFrom === -1) holdFrom = buf.length - this.heldTail(buf, i).k;
    out.push(buf.subarray(i, holdFrom));
    this.carry = Buffer.from(buf.subarray(holdFrom));
    return Buffer.concat(out);
  }

  /** Length of the longest suffix of buf[from:] that is a proper prefix of some secret (and
   *  that secret's replacement). */
  private heldTail(buf: Buffer, from: number): { k: number; replacement?: Buffer } {
    const p = this.p;
    const start = Math.max(from, buf.length - (p.maxLen - 1));
    for (let q = start; q < buf.length; q++) {
      // Only where an encoding could begin; compared in place, without copies.
      const starting = p.byFirstByte.get(buf[q]!);
      if (!starting) continue;
      const k = buf.length - q;
      const t = starting.find((x) => x.bytes.length > k && buf.compare(x.bytes, 0, k, q) === 0);
      if (t) return { k, replacement: t.replacement };
    }
    return { k: 0 };
  }
}

/**
 * Output of a command we run for the user (hooks, restarts), without terminal control
 * sequences and control characters but newline and tab: an escape sequence or a carriage
 * return inside a key would hide it from the masker and still show it on a terminal.
 */
export function withoutControls(b: Buffer): Buffer {
  const text = b.toString('utf8');
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-_]?|[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]/g, '');
  return clean === text ? b : Buffer.from(clean, 'utf8');
}

