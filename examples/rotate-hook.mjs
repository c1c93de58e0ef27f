#!/usr/bin/env node
// An exvault rotation hook for an exchange whose API creates and deletes keys (sub-account
// keys on Binance, Bybit, OKX, KuCoin). It speaks to the test suite's fake exchange; a real
// hook replaces the two requests below with the exchange's own signed endpoints.
//
//   vault edit bot-key --rotate-hook 'node examples/rotate-hook.mjs rotate' \
//                      --revoke-hook 'node examples/rotate-hook.mjs revoke'
//
// exvault writes the credential as JSON on standard input (never on the command line):
//   {"entry": "...", "exchange": "...", "version": 1, "secrets": {"apiKey": "...", "apiSecret": "..."}}
// "rotate" prints the new credential as JSON on standard output; "revoke" deletes the key it
// was given. Exit 0 on success. Messages go to standard error and never include a secret.
// The exchange's address comes from EXCHANGE_API_URL (here: the fake exchange, on 127.0.0.1).
const mode = process.argv[2];
const base = process.env.EXCHANGE_API_URL;
if (!['rotate', 'revoke'].includes(mode) || !base) {
  console.error('usage: EXCHANGE_API_URL=URL rotate-hook.mjs rotate|revoke  (credential JSON on stdin)');
  process.exit(2);
}

let input = '';
for await (const chunk of process.stdin) input += chunk;
const { secrets } = JSON.parse(input);
const auth = { 'x-api-key': secrets.apiKey, 'x-api-secret': secrets.apiSecret };

if (mode === 'rotate') {
  const res = await fetch(`${base}/keys`, { method: 'POST', headers: auth });
  if (res.status !== 201) {
    console.error(`rotate: the exchange answered ${res.status}`);
    process.exit(1);
  }
  const created = await res.json();
  process.stdout.write(JSON.stringify({ apiKey: created.apiKey, apiSecret: created.apiSecret }));
} else {
  const res = await fetch(`${base}/keys/${encodeURIComponent(secrets.apiKey)}`, { method: 'DELETE', headers: auth });
  // Already gone counts as revoked: 404, or 401 when (as here) the request is signed with the key
  // being deleted, which a revoke killed after the delete leaves unknown to the exchange. A key
  // the exchange no longer accepts is what a revoke wants; a real hook checks the exchange's own
  // "invalid key" code, not every 401.
  const gone = res.status === 404 || (res.status === 401 && (await res.json().catch(() => ({}))).error === 'invalid key');
  if (res.status !== 200 && !gone) {
    console.error(`revoke: the exchange answered ${res.status}`);
    process.exit(1);
  }
}
