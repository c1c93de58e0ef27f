// The examples in the README and examples/ are copied into unit files, crontabs and compose
// files as they are: none may print a secret where a log keeps it.
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const docs = ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs')).map((f) => `docs/${f}`), ...fs.readdirSync(path.join(ROOT, 'examples')).map((f) => `examples/${f}`)];

/** The lines of fenced code blocks (a whole file for examples/). */
function codeLines(file: string): { line: string; where: string }[] {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
  const lines = text.split('\n');
  if (!file.endsWith('.md')) return lines.map((line, i) => ({ line, where: `${file}:${i + 1}` }));
  const out: { line: string; where: string }[] = [];
  let inside = false;
  lines.forEach((line, i) => {
    if (/^\s*```/.test(line)) inside = !inside;
    else if (inside) out.push({ line, where: `${file}:${i + 1}` });
  });
  return out;
}

/** A command that writes a secret value to its standard output. */
const PRINTS = /\bvault (get|export|inject)\b(?![^#]*(\s-o\s|--out\b|>|\|))/;

it('no service, cron or container line prints a secret into its log', () => {
  const offenders: string[] = [];
  for (const f of docs) {
    for (const { line, where } of codeLines(f)) {
      // Lines whose output a supervisor keeps: systemd units, crontab entries, compose/pm2 commands.
      const supervised = /^\s*(ExecStart\w*=|command:|script:|args:|[*@0-9][^=]*\s+\S*vault\b)/.test(line) || /^\s*\*\/?\d*\s/.test(line);
      if (supervised && PRINTS.test(line) && !/\$\(/.test(line)) offenders.push(where);
    }
  }
  expect(offenders).toEqual([]);
});

it('the systemd example launches the bot with vault exec', () => {
  const units = codeLines('README.md').filter(({ line }) => /^ExecStart=/.test(line));
  expect(units.length).toBeGreaterThan(0);
  for (const { line } of units) expect(line).toMatch(/vault exec /);
});
