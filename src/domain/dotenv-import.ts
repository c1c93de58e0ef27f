// Recognising exchange keys in a bot's .env: BINANCE_API_KEY / BINANCE_API_SECRET,
// OKX_PASSPHRASE, KUCOIN_SECRET_KEY, HYPERLIQUID_WALLET_ADDRESS, CCXT's apiKey / secret /
// password / walletAddress / privateKey, ... grouped into
// entries by prefix. Variables it does not recognise are left alone.
import { UsageError } from '../errors';
import { ENTRY_NAME } from './entry';
import { EXCHANGE_IDS, ExchangeId } from './exchanges';

const SUFFIXES: [RegExp, string][] = [
  [/^(.*?)_?(?:API_)?SECRET(?:_KEY)?$/i, 'apiSecret'],
  [/^(.*?)_?(?:API_)?(?:PASSPHRASE|PASSWORD|PASS)$/i, 'passphrase'],
  [/^(.*?)_?PRIVATE_KEY$/i, 'privateKey'],
  [/^(.*?)_?WALLET_ADDRESS$/i, 'walletAddress'],
  [/^(.*?)_?(?:API_?)?KEY$/i, 'apiKey'],
];
/** CCXT's own names, without a prefix. */
const CCXT: Record<string, string> = { apiKey: 'apiKey', secret: 'apiSecret', password: 'passphrase', privateKey: 'privateKey', walletAddress: 'walletAddress', uid: 'uid' };

export interface ImportGroup {
  /** Empty for unprefixed (CCXT-style) variables. */
  prefix: string;
  name: string | null;
  exchange: ExchangeId | null;
  /** field -> variable name it came from. */
  vars: Record<string, string>;
}

function fieldOf(varName: string): { prefix: string; field: string } | null {
  if (CCXT[varName]) return { prefix: '', field: CCXT[varName]! };
  for (const [re, field] of SUFFIXES) {
    const m = re.exec(varName);
    if (m) return { prefix: m[1]!.replace(/_+$/, '').toUpperCase(), field };
  }
  return null;
}

export function groupDotenv(vars: string[], entry?: string, exchange?: ExchangeId): { groups: ImportGroup[]; ignored: string[] } {
  const byPrefix = new Map<string, ImportGroup>();
  const ignored: string[] = [];
  for (const v of vars) {
    const f = fieldOf(v);
    if (!f) {
      ignored.push(v);
      continue;
    }
    const g = byPrefix.get(f.prefix) ?? { prefix: f.prefix, name: null, exchange: null, vars: {} };
    if (g.vars[f.field]) {
      ignored.push(v);
      continue;
    }
    g.vars[f.field] = v;
    byPrefix.set(f.prefix, g);
  }
  const groups = [...byPrefix.values()].filter((g) => g.vars.apiKey || g.vars.apiSecret || g.vars.privateKey);
  for (const g of byPrefix.values()) if (!groups.includes(g)) ignored.push(...Object.values(g.vars));
  if ((entry || exchange) && groups.length !== 1) {
    throw new UsageError(`--entry and --exchange name one entry, but the file has ${groups.length} groups of keys`, ['import it without them, and rename afterwards']);
  }
  for (const g of groups) {
    const lower = g.prefix.toLowerCase();
    g.exchange = exchange ?? EXCHANGE_IDS.find((id) => id !== 'other' && (lower === id.replace('-', '_') || lower.startsWith(`${id.replace('-', '_')}_`))) ?? null;
    const candidate = entry ?? lower.replace(/_/g, '-');
    g.name = ENTRY_NAME.test(candidate) ? candidate : null;
  }
  return { groups, ignored: ignored.sort() };
}
