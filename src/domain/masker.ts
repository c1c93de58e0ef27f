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

export class Masker {
  private readonly targets: { bytes: Buffer; replacement: Buffer }[];
  private readonly maxLen: number;
  private carry = Buffer.alloc(0);

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

  private readonly byFirstByte = new Map<number, { bytes: Buffer }[]>();
  private readonly byText = new Map<string, { bytes: Buffer; replacement: Buffer }>();
  private readonly search: RegExp;
  private readonly searchWithNul: RegExp;

  push(chunk: Buffer): Buffer {
    if (this.targets.length === 0) return chunk;
    return this.process(this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk, false);
  }

  /** What is left at the end of the stream: nothing can follow, so nothing is held back. */
  flush(): Buffer {
    return this.targets.length === 0 ? Buffer.alloc(0) : this.process(this.carry, true);
  }

  private process(buf: Buffer, final: boolean): Buffer {
    const out: Buffer[] = [];
    let i = 0;
    let holdFrom = -1;
    const text = buf.toString('latin1');
    const search = buf.includes(0) ? this.searchWithNul : this.search;
    for (;;) {
      search.lastIndex = i;
      const m = search.exec(text);
      if (!m) break;
      const best = m.index;
      const hit = this.byText.get(m[0])!;
      // "abc" is complete but "abcdef" may still be arriving: decide when more bytes come.
      const rest = buf.subarray(best);
      if (!final && this.targets.some((t) => t.bytes.length > rest.length && t.bytes.subarray(0, rest.length).equals(rest))) {
        holdFrom = best;
        break;
      }
      out.push(buf.subarray(i, best), hit.replacement);
      i = best + hit.bytes.length;
    }
    if (holdFrom === -1) holdFrom = final ? buf.length : buf.length - this.heldTail(buf, i);
    out.push(buf.subarray(i, holdFrom));
    this.carry = Buffer.from(buf.subarray(holdFrom));
    return Buffer.concat(out);
  }

  /** Length of the longest suffix of buf[from:] that is a proper prefix of some secret. */
  private heldTail(buf: Buffer, from: number): number {
    const start = Math.max(from, buf.length - (this.maxLen - 1));
    for (let p = start; p < buf.length; p++) {
      // Only where an encoding could begin; compared in place, without copies.
      const starting = this.byFirstByte.get(buf[p]!);
      if (!starting) continue;
      const k = buf.length - p;
      if (starting.some((t) => t.bytes.length > k && buf.compare(t.bytes, 0, k, p) === 0)) return k;
    }
    return 0;
  }
}
