// Turns benchmark results into Markdown, and lets each benchmark run on its own.
import { pathToFileURL } from 'node:url';

const table = (head, rows) => [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

export function section(r) {
  const parts = [`## ${r.title}`, '', r.intro, '', table(r.head, r.rows)];
  if (r.notes?.length) parts.push('', ...r.notes);
  return parts.join('\n');
}

export function summary(results) {
  const checks = results.flatMap((r) => r.checks ?? []);
  return table(['target', 'measured', 'wanted', 'met'], checks.map((c) => [c.what, c.value, c.target, c.ok ? 'yes' : '**no**']));
}

/** When the module is run directly: set up, run, print its section. */
export function main(moduleUrl, run, setup) {
  if (moduleUrl !== pathToFileURL(process.argv[1]).href) return;
  setup?.();
  run({ quick: process.argv.includes('--quick') }).then(
    (r) => console.log(`${section(r)}\n\n${summary([r])}`),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
