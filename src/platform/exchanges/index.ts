// The exchange adapters behind app/ports.ts's ExchangeVerifier and ExchangeAdmin, and where each
// call goes: --api-url, else EXVAULT_<EXCHANGE>_URL (EXVAULT_COINBASE_URL, ...), else the
// testnet with --testnet, else the live API. Plain http:// only to this machine (a test server):
// anywhere else the key and the signature would cross the network in clear.
import { UsageError, VaultError } from '../../errors';
import { ExchangeId, SCOPES } from '../../domain/exchanges';
import type { ExchangeAdmin, ExchangeCredential, ExchangeVerifier } from '../../app/ports';
import { Secret } from '../../domain/secret';
import { binance } from './binance';
import { bybit } from './bybit';
import { coinbase } from './coinbase';
import { DEFAULT_TIMEOUT_MS, HttpSend, sendHttp } from './http';
import { kraken } from './kraken';
import { kucoin } from './kucoin';
import { okx } from './okx';
import { refuseEchoes } from './answer-fields';
import { ApiTarget, badShape, Credential, ExchangeAdapter } from './types';

export const ADAPTERS: Partial<Record<ExchangeId, ExchangeAdapter>> = { binance, bybit, okx, kucoin, coinbase, kraken };

export interface NetworkOptions {
  testnet?: boolean;
  /** One base URL for this run (--api-url). */
  apiUrl?: string;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  send?: HttpSend;
  now?: () => Date;
}

/** EXVAULT_BINANCE_URL, EXVAULT_COINBASE_EXCHANGE_URL, ... */
export const urlVariable = (id: ExchangeId): string => `EXVAULT_${id.toUpperCase().replace(/-/g, '_')}_URL`;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** A base URL as given: https, or http to this machine; no path, query or credentials. */
export function checkBaseUrl(text: string, from: string): string {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new UsageError(`${from} is not a URL`);
  }
  if (u.username || u.password || u.search || u.hash || (u.pathname !== '/' && u.pathname !== '')) throw new UsageError(`${from} must be only a scheme, host and port (such as http://127.0.0.1:8080 for a test server)`);
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && LOOPBACK.has(u.hostname))) throw new UsageError(`${from} must be https:// (http:// only to this machine, for a test server)`);
  return u.origin;
}

export function targetOf(a: ExchangeAdapter, o: NetworkOptions): ApiTarget {
  const env = o.env ?? process.env;
  let base: string;
  if (o.apiUrl) base = checkBaseUrl(o.apiUrl, '--api-url');
  else if (env[urlVariable(a.id)]) base = checkBaseUrl(env[urlVariable(a.id)]!, urlVariable(a.id));
  else if (o.testnet) {
    if (typeof a.testnet !== 'string') throw new UsageError(`${a.title} has no testnet for this: ${a.testnet.none}`);
    base = a.testnet;
  } else base = a.live;
  return { base, testnet: !!o.testnet, timeoutMs: o.timeoutMs ?? DEFAULT_TIMEOUT_MS, send: o.send ?? sendHttp, now: o.now ?? (() => new Date()) };
}

/** The fields as text, for the moment of signing. */
function plain(secrets: Record<string, Secret>): Credential {
  const c: Credential = { apiKey: secrets.apiKey?.reveal() ?? '' };
  if (secrets.apiSecret) c.apiSecret = secrets.apiSecret.reveal();
  if (secrets.passphrase) c.passphrase = secrets.passphrase.reveal();
  if (secrets.privateKey) c.privateKey = secrets.privateKey.reveal();
  return c;
}

function adapterOf(id: ExchangeId): ExchangeAdapter {
  const a = ADAPTERS[id];
  if (!a) throw new UsageError(`exvault does not talk to ${id}'s API`);
  return a;
}

/** Every EXVAULT_<EXCHANGE>_URL that is set, checked: before the vault is unlocked and before
 *  anything is recorded, so a mistyped variable costs nothing. */
export function checkUrlVariables(env: NodeJS.ProcessEnv = process.env): void {
  for (const id of Object.keys(ADAPTERS) as ExchangeId[]) {
    const v = env[urlVariable(id)];
    if (v) checkBaseUrl(v, urlVariable(id));
  }
}

export function exchangeVerifier(o: NetworkOptions): ExchangeVerifier {
  const env = o.env ?? process.env;
  return {
    unavailable(id) {
      const a = ADAPTERS[id];
      if (!a) return 'not available: exvault does not talk to this exchange\'s API';
      if (typeof a.verify !== 'function') return a.verify.none;
      return null;
    },
    prepare(exchanges) {
      const ids = [...new Set(exchanges)];
      // One address for one exchange: every other exchange's key (and OKX's passphrase, sent in
      // clear inside TLS) would otherwise go to it too.
      if (o.apiUrl && ids.length > 1) {
        throw new UsageError(`--api-url is for one exchange, and this run asks ${ids.length} (${ids.map((id) => ADAPTERS[id]?.title ?? id).join(', ')}): name entries of one exchange, or set EXVAULT_<EXCHANGE>_URL for each`);
      }
      if (o.testnet) {
        for (const id of ids) {
          const a = ADAPTERS[id];
          if (a && typeof a.testnet !== 'string' && !o.apiUrl && !env[urlVariable(id)]) {
            throw new UsageError(`${a.title} has no testnet (${a.testnet.none}): name entries of exchanges that have one (Bybit; OKX demo trading), or leave out --testnet`);
          }
        }
      }
      for (const id of ids) if (ADAPTERS[id]) targetOf(ADAPTERS[id]!, o);
    },
    async verify(key: ExchangeCredential) {
      const a = adapterOf(key.exchange);
      if (typeof a.verify !== 'function') throw new UsageError(`${a.title}: ${a.verify.none}`);
      const t = targetOf(a, o);
      const c = plain(key.secrets);
      let facts;
      try {
        facts = await a.verify(c, t);
      } catch (err) {
        // Reading an answer must never end the run: whatever the parsing met that it did not
        // expect is the exchange answering in a shape it does not document.
        if (err instanceof VaultError) throw err;
        throw badShape(a.title);
      }
      refuseEchoes(a.title, [...facts.permissions, ...(facts.ips ?? []), facts.expiresAt ?? ''], [c.apiKey, c.apiSecret, c.passphrase, c.privateKey]);
      // Scopes in their usual order, whatever order the exchange listed them in.
      return { checkedAt: t.now().toISOString(), origin: t.base, ...facts, scopes: SCOPES.filter((x) => facts.scopes.includes(x)) };
    },
  };
}

export function exchangeAdmin(o: NetworkOptions): ExchangeAdmin {
  const subKeys = (id: ExchangeId) => {
    const s = adapterOf(id).subKeys;
    if (!s) throw new UsageError(`${adapterOf(id).title} has no API to make sub-account keys; rotate this key by hand or with a hook`);
    return s;
  };
  return {
    unsupported: (id) => (ADAPTERS[id]?.subKeys ? null : `${ADAPTERS[id]?.title ?? id} has no API to make sub-account keys`),
    async createKeyLike(master, old) {
      if (!old.account) throw new UsageError('the key to rotate names no sub-account: set it with vault edit NAME --account SUB');
      const a = adapterOf(master.exchange);
      const made = await subKeys(master.exchange).create(plain(master.secrets), old, targetOf(a, o));
      const secrets: Record<string, Secret> = {};
      for (const [k, v] of Object.entries(made.secrets)) if (typeof v === 'string') secrets[k] = new Secret(v);
      return { secrets, permissions: made.permissions, ips: made.ips };
    },
    async deleteKey(master, old) {
      const a = adapterOf(master.exchange);
      await subKeys(master.exchange).remove(plain(master.secrets), { account: old.account, apiKey: old.apiKey, passphrase: old.secrets?.passphrase?.reveal() }, targetOf(a, o));
    },
  };
}

/** For the README table and `vault verify --help`: what each exchange supports here. */
export function supportTable(): { exchange: string; verify: string; subKeys: boolean; testnet: string }[] {
  return Object.values(ADAPTERS).map((a) => ({
    exchange: a!.title,
    verify: typeof a!.verify === 'function' ? 'yes' : 'no',
    subKeys: !!a!.subKeys,
    testnet: typeof a!.testnet === 'string' ? a!.testnet : 'none',
  }));
}
