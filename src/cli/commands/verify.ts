import { Command } from 'commander';
import { verifyKeys, VerifyRow } from '../../app/verify';
import { UsageError } from '../../errors';
import { EXCHANGES, ExchangeId } from '../../domain/exchanges';
import { printable } from '../../domain/entry';
import { GlobalOptions, Invocation, makeContext } from '../context';
import { json, line, paint } from '../render';

/** --timeout: seconds (15 or 15s), at most 5 minutes. */
function parseTimeout(text: string): number {
  const m = /^(\d{1,3})s?$/.exec(text);
  if (!m || Number(m[1]) < 1 || Number(m[1]) > 300) throw new UsageError('--timeout takes seconds from 1 to 300, such as 15s');
  return Number(m[1]) * 1000;
}

function factsText(r: VerifyRow): string[] {
  const f = r.facts!;
  // Escaped again here: a vault written by an older version may hold the exchange's text as it came.
  const ips = f.ipRestricted === null ? 'not reported' : f.ipRestricted ? (f.ips ? f.ips.map(printable).join(', ') : 'yes (the addresses are not reported)') : 'none';
  return [
    `  permissions: ${f.permissions.map(printable).join(', ') || 'none'} (${f.scopes.join(', ') || '-'})`,
    `  ip allow-list: ${ips}`,
    `  expires: ${f.expiresAt ? printable(f.expiresAt.slice(0, 10)) : 'not reported'}`,
    ...r.differences.map((d) => `  ${paint('yellow', 'differs')}: ${d}`),
  ];
}

export function registerVerify(program: Command, invocation: Invocation): void {
  program
    .command('verify [names...]')
    .description('ask each exchange, with the key itself and read-only calls, what the key can do and from where; record the answer')
    .option('--json', 'print JSON')
    .option('--testnet', "ask the exchange's testnet (Bybit; OKX demo trading)")
    .option('--api-url <url>', 'ask this address instead (https://, or http:// to this machine), for entries of one exchange only; else EXVAULT_<EXCHANGE>_URL')
    .option('--timeout <seconds>', 'give up on an exchange that has not answered after this long (default 15s)')
    .addHelpText('after', `
Asks: Binance GET /sapi/v1/account/apiRestrictions, Bybit GET /v5/user/query-api, OKX GET
/api/v5/account/config, KuCoin GET /api/v1/user/api-key, Coinbase GET
/api/v3/brokerage/key_permissions. Kraken has no such endpoint: its keys are not asked.
The answer and its time are stored in the entry; vault check then counts a key the exchange
says can withdraw, has no IP allow-list, or expires.

Exit status: 0 every key asked answered (differences are printed, not failures), 12 an
exchange refused a key (the alert command runs), 13 an exchange could not be reached, did not
answer in time, rate-limited the request, or answered in a shape it does not document; 2 a run
that cannot be made as asked (--api-url with entries of several exchanges, --testnet for an
exchange without one), refused before any request.

Examples:
  vault verify
  vault verify bn-bot okx-grid --json
  EXVAULT_BYBIT_URL=http://127.0.0.1:8080 vault verify by-bot`)
    .action(async (names: string[], opts, c: Command) => {
      const timeoutMs = opts.timeout === undefined ? undefined : parseTimeout(opts.timeout);
      // Loaded here only: no other command (exec, get, unlock) pulls in network code.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { exchangeVerifier, checkBaseUrl, checkUrlVariables } = require('../../platform/exchanges/index') as typeof import('../../platform/exchanges/index');
      // Addresses are checked before the vault is unlocked and before anything is recorded.
      if (opts.apiUrl) checkBaseUrl(opts.apiUrl, '--api-url');
      checkUrlVariables();
      const verifier = exchangeVerifier({ testnet: Boolean(opts.testnet), apiUrl: opts.apiUrl, timeoutMs });
      const { rows, status } = await verifyKeys(makeContext(c.optsWithGlobals<GlobalOptions>()), verifier, names);
      invocation.status = status;
      // Failures on standard error in both forms, one line each (the JSON carries them too).
      const failed = () => {
        for (const r of rows) if (r.state === 'failed') process.stderr.write(`vault: ${paint('red', 'error', process.stderr)}: ${r.name}: ${r.reason}\n`);
      };
      if (opts.json) {
        failed();
        return json(rows.map((r) => ({
          name: r.name, exchange: r.exchange, state: r.state,
          checkedAt: r.facts?.checkedAt ?? null, origin: r.facts?.origin ?? null,
          permissions: r.facts?.permissions ?? null, scopes: r.facts?.scopes ?? null,
          ipRestricted: r.facts?.ipRestricted ?? null, ips: r.facts?.ips ?? null, expiresAt: r.facts?.expiresAt ?? null,
          differences: r.differences, reason: r.reason ?? null,
        })));
      }
      for (const r of rows) {
        const title = EXCHANGES[r.exchange as ExchangeId]?.title ?? r.exchange;
        if (r.state === 'verified') {
          line(`${r.name}: ${title} reports${r.differences.length ? '' : ' (as declared)'}:`);
          for (const l of factsText(r)) line(l);
        } else if (r.state === 'unavailable') line(`${r.name}: ${title}: ${r.reason}`);
        else line(`${r.name}: not verified`);
      }
      failed();
    });
}
