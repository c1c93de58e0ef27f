// The man page (docs/vault.1), written from commander's command tree so it never drifts from
// the options the program really takes. scripts/gen-man.mjs writes it; a test checks it is current.
import { Command, Option } from 'commander';

/** Text made safe for roff: backslashes, hyphens (so they copy as ASCII), lines starting with a control character. */
function esc(text: string): string {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .split('\n')
    .map((l) => (/^[.']/.test(l) ? `\\&${l}` : l))
    .join('\n');
}

function options(cmd: Command): string[] {
  const out: string[] = [];
  for (const o of cmd.options as Option[]) {
    if (o.hidden) continue;
    out.push('.TP', `.B ${esc(o.flags)}`, esc(o.description + (o.argChoices ? ` (one of: ${o.argChoices.join(', ')})` : '')));
  }
  return out;
}

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

function commands(cmd: Command): string[] {
  const out: string[] = [];
  for (const c of cmd.commands as Command[]) {
    if ((c as unknown as { _hidden?: boolean })._hidden) continue;
    out.push('.SS', `.B vault ${esc(commandPath(c))} ${esc(c.usage())}`.trimEnd(), esc(c.description()), '.PP');
    const opts = options(c);
    if (opts.length) out.push('.RS', ...opts, '.RE');
    out.push(...commands(c));
  }
  return out;
}

export function manPage(program: Command, version: string): string {
  const lines = [
    `.TH VAULT 1 "" "exvault ${esc(version)}" "User Commands"`,
    '.SH NAME',
    'vault, exvault \\- an encrypted vault for crypto\\-exchange API keys',
    '.SH SYNOPSIS',
    '.B vault',
    '[\\fIglobal options\\fR] \\fIcommand\\fR [\\fIarguments\\fR]',
    '.SH DESCRIPTION',
    esc(program.description()),
    '.SH GLOBAL OPTIONS',
    ...options(program),
    '.SH COMMANDS',
    ...commands(program),
    '.SH ENVIRONMENT',
    '.TP', '.B EXVAULT_FILE', 'the vault file, unless \\-\\-vault is given',
    '.TP', '.B EXVAULT_PASSPHRASE_FILE', 'a file holding the passphrase (mode 600), unless \\-\\-passphrase\\-file or \\-\\-passphrase\\-fd is given',
    '.TP', '.B NO_COLOR, FORCE_COLOR, TERM=dumb', 'colour and spinners, by the usual conventions',
    '.SH EXIT STATUS',
    '0 ok; 1 failure; 2 usage; 3 wrong passphrase or modified file; 4 no such entry or field; 5 vault file corrupt or unsupported; 6 keychain unavailable; 7 a terminal is needed; 8 vault busy; 9 could not read or write a file; 130 cancelled. vault exec exits with the program\'s status.',
    '.SH SEE ALSO',
    'README.md and docs/FORMAT.md of the exvault package.',
  ];
  return `${lines.join('\n')}\n`;
}
