// The canonical body text (docs/FORMAT.md, "Body"): a document without its entries, and one
// line per entry starting with its name. Format v2 keeps the two apart (a meta record and one
// record per entry); this joins and splits them for whole-document readers and writers.
const te = new TextEncoder();
const td = new TextDecoder('utf-8', { fatal: true });

const EMPTY = '"entries":[]';
const OPEN = '"entries":[\n';
const CLOSE = '\n]';
const NAME = /^\{"name":"([a-z0-9][a-z0-9._-]{0,63})"/;

/** The entry name a line starts with, or null. */
export function lineEntryName(line: string): string | null {
  return NAME.exec(line)?.[1] ?? null;
}

export function joinBody(skeleton: Uint8Array, lines: Uint8Array[]): Uint8Array {
  if (!lines.length) return skeleton;
  const text = td.decode(skeleton);
  const at = text.indexOf(EMPTY);
  if (at === -1) throw new Error('the document has no entries list');
  const parts = lines.map((l) => td.decode(l));
  return te.encode(`${text.slice(0, at)}${OPEN}${parts.join(',\n')}${CLOSE}${text.slice(at + EMPTY.length)}`);
}

/** Null when the body is not in the line layout (or holds a line without a name). */
export function splitBody(body: Uint8Array): { skeleton: Uint8Array; entries: { name: string; line: Uint8Array }[] } | null {
  let text: string;
  try {
    text = td.decode(body);
  } catch {
    return null;
  }
  const open = text.indexOf(OPEN);
  if (open === -1) return text.includes(EMPTY) ? { skeleton: body, entries: [] } : null;
  const close = text.lastIndexOf(CLOSE);
  if (close < open) return null;
  const entries: { name: string; line: Uint8Array }[] = [];
  for (const line of text.slice(open + OPEN.length, close).split(',\n')) {
    const name = lineEntryName(line);
    if (name === null) return null;
    entries.push({ name, line: te.encode(line) });
  }
  return { skeleton: te.encode(`${text.slice(0, open)}${EMPTY}${text.slice(close + CLOSE.length)}`), entries };
}
