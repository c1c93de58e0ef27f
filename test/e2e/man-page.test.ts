// docs/vault.1 is written from the command tree (scripts/gen-man.mjs), shipped in the package,
// renders without roff warnings, and names every command the program has.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLI } from '../helpers/cli';

const ROOT = path.resolve(__dirname, '../..');
const PAGE = path.join(ROOT, 'docs/vault.1');

it('is current: what the built CLI writes from its commands today', () => {
  expect(fs.readFileSync(PAGE, 'utf8')).toBe(execFileSync(process.execPath, [CLI, '__man'], { encoding: 'utf8' }));
});

it('is shipped as the package man page', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  expect(pkg.man).toEqual(['docs/vault.1']);
  expect(pkg.files).toContain('docs');
});

it('renders with groff without warnings, and every command appears', () => {
  const r = spawnSync('groff', ['-man', '-Tutf8', '-ww', '-rLL=200n', PAGE], { encoding: 'utf8', env: { ...process.env, LANG: 'C.UTF-8' } });
  expect(r.status).toBe(0);
  expect(r.stderr).toBe('');
  const text = r.stdout.replace(/.\x08/g, '').replace(/\u2010/g, '-');
  // The command list from the program's own help, subcommands included.
  const help = (args: string[]) => execFileSync(process.execPath, [CLI, ...args, '--help'], { encoding: 'utf8' });
  const section = (text: string) => text.split('Commands:')[1]?.split('\n\n')[0];
  const top = [...section(help([]))!.matchAll(/^ {2}([a-z][a-z-]*)/gm)].map((m) => m[1]!).filter((c) => c !== 'help');
  expect(top.length).toBeGreaterThan(15);
  for (const c of top) {
    expect(text).toContain(`vault ${c}`);
    const sub = section(help([c]));
    for (const m of sub ? sub.matchAll(/^ {2}([a-z][a-z-]*)/gm) : []) if (m[1] !== 'help') expect(text).toContain(`vault ${c} ${m[1]}`);
  }
  expect(text).toContain('--passphrase-file');
});
