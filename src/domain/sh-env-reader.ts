// A strict reader of .env files as a POSIX shell reads them (`set -a; . ./bot.env`), so that
// inject can check that sh and dotenv both get every value it writes. It reads only plain
// assignments, `[export ]NAME=WORD` with an optional trailing `# comment`, where WORD joins
// safe unquoted characters, '...' and "..." (sh's backslash rules; no `$` or backtick). Any
// other statement is "not read the same way" (null); after one the reader goes on only when
// the next line surely starts a new statement, and otherwise stops (later names are absent).

/** Unquoted characters every shell takes literally in a word (conservative: no globs, braces, `#`, `~`). */
const SAFE = /[A-Za-z0-9_@%+=:,./\-\u00a0-\u{10ffff}]/u;
const NAME = /^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)=/;

type Word = { value: string | null; end: number } | 'unterminated';

/** The word starting at i, up to unquoted blank or newline; value null when not plain. */
function readWord(text: string, i: number): Word {
  let value: string | null = '';
  while (i < text.length && text[i] !== ' ' && text[i] !== '\t' && text[i] !== '\n') {
    const c = text[i]!;
    if (c === "'") {
      const close = text.indexOf("'", i + 1);
      if (close === -1) return 'unterminated';
      if (value !== null) value += text.slice(i + 1, close);
      i = close + 1;
    } else if (c === '"') {
      i++;
      for (;;) {
        if (i >= text.length) return 'unterminated';
        const d = text[i]!;
        if (d === '"') break;
        if (d === '$' || d === '`') value = null;
        if (d === '\\' && i + 1 < text.length && '$`"\\\n'.includes(text[i + 1]!)) {
          // Backslash-newline is a line continuation: both go.
          if (value !== null && text[i + 1] !== '\n') value += text[i + 1];
          i += 2;
          continue;
        }
        if (value !== null) value += d;
        i++;
      }
      i++;
    } else if (SAFE.test(c)) {
      // Code points, not UTF-16 halves.
      const ch = String.fromCodePoint(text.codePointAt(i)!);
      if (value !== null) value += ch;
      i += ch.length;
    } else {
      // What may run on into later lines, or make sh stop reading the file: give up here.
      if (c === '\\' || c === '(' || c === '`' || c === '<' || (c === '$' && text[i + 1] === '(')) return 'unterminated';
      if (c === '$' && text[i + 1] === '{') {
        // ${NAME} and the like: not plain, but it ends on this line when nothing in it quotes.
        const close = text.indexOf('}', i);
        if (close === -1 || /["'`\n\\]/.test(text.slice(i, close))) return 'unterminated';
        value = null;
        i = close + 1;
        continue;
      }
      value = null;
      i++;
    }
  }
  return { value, end: i };
}

/**
 * What `set -a; . FILE` leaves in each variable the file assigns: the value, or null when a
 * statement assigning it is not a plain assignment (a shell may read it otherwise, or run it).
 */
export function readShEnv(text: string): Map<string, string | null> {
  const out = new Map<string, string | null>();
  let i = 0;
  while (i < text.length) {
    const lineEnd = text.indexOf('\n', i) === -1 ? text.length : text.indexOf('\n', i);
    const line = text.slice(i, lineEnd);
    if (/^[ \t]*(#.*)?$/.test(line)) {
      i = lineEnd + 1;
      continue;
    }
    const m = NAME.exec(line);
    if (!m) return out; // not an assignment: where the next statement starts is unknown
    const word = readWord(text, i + m[0].length);
    if (word === 'unterminated') {
      out.set(m[1]!, null);
      return out;
    }
    // After the word: blanks, then the end of the line or a comment.
    const restEnd = text.indexOf('\n', word.end) === -1 ? text.length : text.indexOf('\n', word.end);
    const rest = text.slice(word.end, restEnd);
    const plain = /^([ \t]+(#.*)?)?$/.test(rest);
    if (!plain && /['"\\`(<{]|\$\(/.test(rest)) {
      out.set(m[1]!, null);
      return out;
    }
    // Once a statement for a name is not plain, the name stays unreadable: that statement may run.
    if (out.get(m[1]!) !== null) out.set(m[1]!, plain ? word.value : null);
    i = restEnd + 1;
  }
  return out;
}
