import { Command } from 'commander';
import { auditStats, newChain, readAudit, verifyAudit } from '../../app/audit-reader';
import { CollectedChain, collectChains } from '../../app/audit-collect';
import { NO_WRAPPER } from '../../app/exec';
import { CorruptError, UsageError } from '../../errors';
import { AuditRecord } from '../../domain/audit-chain';
import { printable } from '../../domain/entry';
import { parseDurationDays } from '../../domain/time';
import { GlobalOptions, makeContext } from '../context';
import { done, json, line, table, warn } from '../render';

function sinceDate(text: string | undefined, now: Date): Date {
  if (text === undefined) return new Date(0);
  const days = parseDurationDays(text);
  if (days === null) throw new UsageError('--since takes a duration such as 7d, 4w or 6m');
  return new Date(now.getTime() - days * 86_400_000);
}

const entriesText = (r: AuditRecord) => (r.entries ?? []).map((e) => `${e.entry}(${e.fields.join(',')})`).join(' ');

function resultText(r: AuditRecord, all: AuditRecord[]): string {
  if (r.cmd === 'exec') {
    const end = all.find((x) => x.cmd === 'exec-exit' && x.ref === r.seq);
    if (end) return `exit ${end.result}`;
    return r.result === NO_WRAPPER ? 'no wrapper, no end record' : 'running or killed';
  }
  if (r.cmd === 'unlock-failed') return 'failed';
  return r.result === undefined ? 'ok' : String(r.result);
}

export function registerAudit(program: Command): void {
  const group = program
    .command('audit')
    .description('who received which secret, when: the tamper-evident log')
    .option('--since <duration>', 'only records newer than this (7d, 4w, 6m)')
    .option('--entry <name>', 'only records that involve this entry')
    .option('--json', 'print JSON records')
    .addHelpText('after', `
Examples:
  vault audit --since 7d
  vault audit --entry binance-main --json
  vault audit verify            exit 0 intact, 5 with the first bad record named
  vault audit stats --since 30d`)
    .action(async (opts, c: Command) => {
      const ctx = makeContext(c.optsWithGlobals<GlobalOptions>());
      const { records, problem } = await readAudit(ctx);
      const since = sinceDate(opts.since, ctx.clock.now()).toISOString();
      const shown = records.filter((r) => r.cmd !== 'exec-exit' && r.time >= since && (!opts.entry || r.entries?.some((e) => e.entry === opts.entry)));
      if (opts.json) json(shown.map((r) => ({ ...r, result: resultText(r, records) })));
      else if (!shown.length) line('no records');
      // ENTRIES last: its width varies most (one exec of ten entries), and the last column is
      // not padded, so one long record no longer widens every line to its length.
      else table(['SEQ', 'TIME', 'COMMAND', 'PROGRAM', 'RESULT', 'ENTRIES'], shown.map((r) => [String(r.seq), r.time.slice(0, 19).replace('T', ' '), r.cmd, printable(r.program ?? ''), resultText(r, records), entriesText(r)]));
      if (problem) warn(`the log is damaged at line ${problem.line}; records after it are not shown (see: vault audit verify)`);
    });

  group
    .command('verify')
    .description('check the whole chain; exit 5 naming the first bad record')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExample:\n  vault audit verify || alert "exvault audit log was tampered with"')
    .action(async (_opts, c: Command) => {
      // Commander may give "--json" to the parent `audit`: read the merged values.
      const opts = c.optsWithGlobals<{ json?: boolean }>();
      const r = await verifyAudit(makeContext(c.optsWithGlobals<GlobalOptions>()));
      if (opts.json) json({ ok: !r.problem, records: r.records, unchained: r.unchained, forged: r.forged, headSeq: r.headSeq, origin: r.origin, host: r.chainHost, note: r.note, problem: r.problem });
      if (r.problem) {
        const where = r.problem.line === 0 ? r.problem.message : `record at line ${r.problem.line} ${r.problem.message}`;
        const hints = [`${r.records} records before it are intact`];
        if (/missing|ends before/.test(r.problem.message)) hints.push('a vault copied or restored to another machine starts a new chain with: vault audit new-chain');
        if (/head file is missing/.test(r.problem.message)) hints.push('a vault last used by exvault 0.1.0 has no head file until its next release (vault get or exec)');
        throw new CorruptError(`audit log: ${where}`, hints);
      }
      if (!opts.json) {
        line(`audit log intact: ${r.records} records${r.unchained ? ` (${r.unchained} failed unlock${r.unchained === 1 ? '' : 's'} not yet covered by a MAC)` : ''}`);
        for (const f of r.forged) line(`forged record at line ${f.line} (seq ${f.seq}): a failed unlock dated in the future (${f.time}), noted as forged by the record that covers it; something that can write the log wrote it`);
        if (r.origin) line(`this chain was started on ${r.origin.host} at ${r.origin.time}; it ${r.origin.follows}${/^follows record \d+/.test(r.origin.follows) ? ' of the chain before it' : ''}`);
        if (r.chainHost && !r.chainHost.here) line(`this log and head are the chain of host ${r.chainHost.name} (${r.chainHost.id.slice(0, 8)}), copied here; this host starts its own at its next release`);
        if (r.note) line(r.note);
        if (r.headSeq === null) line('no audit head file yet: a log cut short cannot be detected until the next release writes one');
      }
    });

  group
    .command('collect <path...>')
    .description("verify other hosts' audit chains, copied into folders: which host, how many records, first and last time, intact or broken")
    .option('--host <name>', "only the chains of this host: the name it gives itself (EXVAULT_HOST_NAME, else its hostname) or its id; exit 4 when none matches")
    .option('--json', 'print JSON')
    .addHelpText('after', `
Each host keeps its own chain beside its copy of the vault (vault.exv.audit and
vault.exv.audit-head). Copy both files from each host into a folder, then verify them here
with the passphrase (which holds every scope's key, so every host's chain key). Exit 5 when
any chain is broken, naming the host and the first bad record, and when a folder holds a head
without its log, nothing at all, or a file that cannot be read (a link, a FIFO, a log over
64 MiB); every other folder is still reported. FOLLOWS is the earlier chain's last record a
chain's first record names: a warning says when that chain was not handed in, or when the
same chain was handed in twice.

Examples:
  scp vps-grid:.local/share/exvault/vault.exv.audit* audits/vps-grid/
  vault audit collect audits/*
  vault audit collect audits/vps-grid --host vps-grid --json`)
    .action(async (paths: string[], _opts, c: Command) => {
      const opts = c.optsWithGlobals<{ json?: boolean; host?: string }>();
      const { chains: rows, warnings } = await collectChains(makeContext(c.optsWithGlobals<GlobalOptions>()), paths, opts.host);
      for (const w of warnings) warn(w);
      const follows = (r: CollectedChain) => (r.follows ? `record ${r.follows.seq} (${r.follows.mac.slice(0, 8)})` : '-');
      if (opts.json) json(rows);
      else if (!rows.length) line('no audit chains found');
      else table(['HOST', 'ID', 'SCOPE', 'RECORDS', 'FIRST', 'LAST', 'FOLLOWS', 'STATE', 'FILE'], rows.map((r) => [r.host, (r.hostId ?? '-').slice(0, 8), r.scope ?? '-', String(r.records), (r.first ?? '-').slice(0, 19).replace('T', ' '), (r.last ?? '-').slice(0, 19).replace('T', ' '), follows(r), r.problem ? (r.problem.line ? `broken at line ${r.problem.line}` : 'broken') : 'intact', r.file]));
      const broken = rows.filter((r) => r.problem);
      if (broken.length) {
        throw new CorruptError(`audit chain${broken.length === 1 ? '' : 's'} broken: ${broken.map((r) => `${r.host}${r.hostId ? ` (${r.hostId.slice(0, 8)})` : ''} ${r.problem!.line === 0 ? `${r.file}: ${r.problem!.message}` : `record at line ${r.problem!.line} ${r.problem!.message}`}`).join('; ')}`);
      }
    });

  group
    .command('new-chain')
    .description('start a new audit chain for a vault copied or restored here (the old log is kept aside)')
    .addHelpText('after', `
A copied vault's log ends where the copy was taken, so "vault audit verify" fails on it. This
starts a new chain whose first record names this host and the chain it follows. Run it only
on the copy: on the original it would hide nothing (the old log is kept, renamed) but breaks
the chain there for no reason.

Example:
  vault audit new-chain && vault audit verify`)
    .action(async (_opts, c: Command) => {
      const r = await newChain(makeContext(c.optsWithGlobals<GlobalOptions>()));
      done(`started a new audit chain${r.keptAs ? `; the old log is kept as ${r.keptAs}` : ''}`);
    });

  group
    .command('stats')
    .description('per entry, how often and by which programs it was used; entries never used')
    .option('--since <duration>', 'only records newer than this (default 30d)')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  vault audit stats --since 90d')
    .action(async (_opts, c: Command) => {
      const merged = c.optsWithGlobals<{ json?: boolean; since?: string }>();
      const opts = { json: merged.json, since: merged.since ?? '30d' };
      const ctx = makeContext(c.optsWithGlobals<GlobalOptions>());
      const { usage, unused, problem } = await auditStats(ctx, sinceDate(opts.since, ctx.clock.now()));
      if (opts.json) return json({ since: opts.since, usage, unused });
      if (usage.length) table(['ENTRY', 'RELEASES', 'LAST', 'PROGRAMS'], usage.map((u) => [u.entry, String(u.releases), (u.last ?? '').slice(0, 10), Object.entries(u.programs).map(([p, n]) => `${printable(p)}:${n}`).join(' ')]));
      else line(`no releases in the last ${opts.since}`);
      if (unused.length) line(`never used in the last ${opts.since} (candidates for revocation): ${unused.join(', ')}`);
      if (problem) warn(`the log is damaged at line ${problem.line}; see: vault audit verify`);
    });
}
