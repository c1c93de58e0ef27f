// The vault's entries by name, each decoded from its line of the body only when first used:
// `vault exec` of one entry in a vault of 10,000 decodes that one, and a write re-emits the
// lines of entries it never looked at as they were read. (The body is authenticated as a
// whole before any line is kept, so a line kept undecoded is one this program wrote.)
import { Entry } from './entry';
import { entryFromLine, entryLine } from './entry-codec';

export class EntryStore {
  /** Entries not decoded yet: name -> their line of the body. */
  readonly #lines = new Map<string, string>();
  readonly #decoded = new Map<string, Entry>();

  /** Keeps an entry's line for decoding on first use (the reader checked the name). */
  addLine(name: string, line: string): void {
    this.#lines.set(name, line);
  }

  get size(): number {
    return this.#lines.size + this.#decoded.size;
  }

  has(name: string): boolean {
    return this.#decoded.has(name) || this.#lines.has(name);
  }

  get(name: string): Entry | undefined {
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
    return this.#lines.delete(name) || this.#decoded.delete(name);
  }

  keys(): IterableIterator<string> {
    return [...this.#decoded.keys(), ...this.#lines.keys()][Symbol.iterator]();
  }

  /** Every entry, decoding those not decoded yet. */
  values(): IterableIterator<Entry> {
    for (const name of [...this.#lines.keys()]) this.get(name);
    return this.#decoded.values();
  }

  /** Each entry's line of the body, sorted by name. */
  lines(): string[] {
    const names = [...this.keys()].sort();
    return names.map((n) => this.#lines.get(n) ?? entryLine(this.#decoded.get(n)!));
  }
}
