// The vault's entries by name, each decoded from its line of the body only when first used:
// `vault exec` of one entry in a vault of 10,000 decodes that one, and a write re-emits the
// lines of entries it never looked at as they were read. (The body is authenticated as a
// whole before any line is kept, so a line kept undecoded is one this program wrote.)
// A format v2 vault backs the store with its sealed records: a line is opened only when its
// entry is first used, and a write copies the records of entries never touched.
import { Entry } from './entry';
import { entryFromLine, entryLine } from './entry-codec';

/** Entries kept sealed until used (format v2): lookups by name, each line opened on demand. */
export interface SealedEntries {
  has(name: string): boolean;
  line(name: string): string;
  names(): string[];
}

export class EntryStore {
  /** Entries not decoded yet: name -> their line of the body. */
  readonly #lines = new Map<string, string>();
  readonly #decoded = new Map<string, Entry>();
  #sealed: SealedEntries | undefined;
  /** Names of sealed entries deleted (or renamed away) since reading. */
  readonly #removed = new Set<string>();

  /** Backs the store with sealed entries (format v2), opened one by one when used. */
  attach(sealed: SealedEntries): void {
    this.#sealed = sealed;
  }

  /** Keeps an entry's line for decoding on first use (the reader checked the name). */
  addLine(name: string, line: string): void {
    this.#lines.set(name, line);
  }

  #inSealed(name: string): boolean {
    return Boolean(this.#sealed) && !this.#removed.has(name) && !this.#decoded.has(name) && !this.#lines.has(name) && this.#sealed!.has(name);
  }

  get size(): number {
    return [...this.keys()].length;
  }

  has(name: string): boolean {
    return this.#decoded.has(name) || this.#lines.has(name) || this.#inSealed(name);
  }

  get(name: string): Entry | undefined {
    if (this.#inSealed(name)) this.#lines.set(name, this.#sealed!.line(name));
    const line = this.#lines.get(name);
    if (line !== undefined) {
      this.#decoded.set(name, entryFromLine(line, name));
      this.#lines.delete(name);
    }
    return this.#decoded.get(name);
  }

  set(name: string, entry: Entry): this {
    this.#lines.delete(name);
    this.#decoded.set(name, entry);
    return this;
  }

  delete(name: string): boolean {
    const had = this.has(name);
    if (this.#sealed) this.#removed.add(name);
    this.#lines.delete(name);
    this.#decoded.delete(name);
    return had;
  }

  keys(): IterableIterator<string> {
    const own = [...this.#decoded.keys(), ...this.#lines.keys()];
    if (!this.#sealed) return own[Symbol.iterator]();
    const mine = new Set(own);
    const rest = this.#sealed.names().filter((n) => !mine.has(n) && !this.#removed.has(n));
    return [...own, ...rest][Symbol.iterator]();
  }

  /** Every entry, decoding those not decoded yet. */
  values(): IterableIterator<Entry> {
    for (const name of [...this.keys()]) this.get(name);
    return this.#decoded.values();
  }

  /** A sealed entry never used since reading: its record can be copied as it is. */
  untouched(name: string): boolean {
    return this.#inSealed(name);
  }

  /** For a name known to be sealed: whether it was used, changed or removed since reading
   *  (no lookup in the sealed entries, so a write can walk 50,000 of them cheaply). */
  touched(name: string): boolean {
    return this.#decoded.has(name) || this.#lines.has(name) || this.#removed.has(name);
  }

  /** Names deleted (or renamed away) since reading; some may have been set again since. */
  removedNames(): string[] {
    return [...this.#removed];
  }

  /** Entries read into memory (decoded or kept as lines): the ones a write must look at. */
  inMemory(): string[] {
    return [...this.#decoded.keys(), ...this.#lines.keys()];
  }

  /** The entry's line of the body (its current content). */
  lineOf(name: string): string {
    if (this.#inSealed(name)) return this.#sealed!.line(name);
    return this.#lines.get(name) ?? entryLine(this.#decoded.get(name)!);
  }

  /** Each entry's line of the body, sorted by name. */
  lines(): string[] {
    const names = [...this.keys()].sort();
    return names.map((n) => this.lineOf(n));
  }
}
