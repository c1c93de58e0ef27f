// What each exchange's credentials look like (see shared EXCHANGES.md): the fields it needs,
// its permission vocabulary mapped onto our six scopes, and key shapes where they are known.
// Shapes only ever produce warnings: exchanges change formats, and a user may know better.

export const SCOPES = ['read', 'trade', 'futures', 'margin', 'withdraw', 'transfer'] as const;
export type Scope = (typeof SCOPES)[number];
/** Scopes that move money out: exec hands such a key over only when asked explicitly. */
export const DANGEROUS_SCOPES: readonly Scope[] = ['withdraw', 'transfer'];

export const EXCHANGE_IDS = ['binance', 'bybit', 'okx', 'kucoin', 'kraken', 'coinbase', 'coinbase-exchange', 'bitget', 'bitmex', 'bingx', 'hyperliquid', 'other'] as const;
export type ExchangeId = (typeof EXCHANGE_IDS)[number];

export const STANDARD_FIELDS = ['apiKey', 'apiSecret', 'passphrase', 'privateKey', 'walletAddress'] as const;

/** CCXT's names for our fields (its exchange.secret, exchange.password), accepted wherever a
 *  field is named, so a CCXT user's `secret` finds apiSecret. Its other names (apiKey, uid,
 *  walletAddress, privateKey) are ours already. */
export const CCXT_FIELD_NAMES: Record<string, string> = { secret: 'apiSecret', password: 'passphrase' };

/** The stored name a field is asked for by: itself, or the field a CCXT name stands for. */
export function canonicalField(name: string): string {
  return CCXT_FIELD_NAMES[name] ?? name;
}

export interface ExchangeSpec {
  title: string;
  /** Each inner list is alternatives: one of them must be present. */
  required: string[][];
  /** Other complete credentials accepted instead of `required` (a DEX wallet: address and key). */
  orSets?: string[][];
  /** Exchange term -> scopes. */
  permissions: Record<string, Scope[]>;
  shapes: Record<string, { pattern: RegExp; describe: string }>;
  /** What a user calls each field on this exchange's website. */
  fieldTitles?: Record<string, string>;
  /** Names in the key file the exchange itself lets you download -> our field names. */
  keyFileFields?: Record<string, string>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const B64_64 = /^[A-Za-z0-9+/]{86}==$/;

export const EXCHANGES: Record<ExchangeId, ExchangeSpec> = {
  binance: {
    title: 'Binance',
    required: [['apiKey'], ['apiSecret', 'privateKey']],
    permissions: {
      reading: ['read'], spot: ['trade'], 'spot-margin': ['trade', 'margin'], margin: ['margin'], futures: ['futures'],
      options: ['futures'], withdrawals: ['withdraw'], 'internal-transfer': ['transfer'], 'universal-transfer': ['transfer'],
    },
    shapes: {
      apiKey: { pattern: /^[A-Za-z0-9]{64}$/, describe: '64 letters and digits' },
      apiSecret: { pattern: /^[A-Za-z0-9]{64}$/, describe: '64 letters and digits' },
    },
  },
  bybit: {
    title: 'Bybit',
    required: [['apiKey'], ['apiSecret', 'privateKey']],
    permissions: {
      'read-only': ['read'], 'contract-trade': ['futures'], spot: ['trade'], wallet: ['transfer', 'withdraw'], options: ['futures'],
      derivatives: ['futures'], exchange: ['trade'], earn: ['transfer'],
    },
    shapes: {
      apiKey: { pattern: /^[A-Za-z0-9]{18}$/, describe: '18 letters and digits' },
      apiSecret: { pattern: /^[A-Za-z0-9]{36}$/, describe: '36 letters and digits' },
    },
  },
  okx: {
    title: 'OKX',
    required: [['apiKey'], ['apiSecret'], ['passphrase']],
    permissions: {},
    shapes: {
      apiKey: { pattern: UUID, describe: 'a UUID (8-4-4-4-12 hex digits)' },
      apiSecret: { pattern: /^[0-9A-F]{32}$/i, describe: '32 hex digits' },
    },
  },
  kucoin: {
    title: 'KuCoin',
    required: [['apiKey'], ['apiSecret'], ['passphrase']],
    permissions: { general: ['read'], spot: ['trade'], futures: ['futures'], margin: ['margin'], 'inner-transfer': ['transfer'] },
    shapes: {
      apiKey: { pattern: /^[0-9a-f]{24}$/, describe: '24 hex digits' },
      apiSecret: { pattern: UUID, describe: 'a UUID (8-4-4-4-12 hex digits)' },
    },
  },
  kraken: {
    title: 'Kraken',
    required: [['apiKey'], ['apiSecret']],
    permissions: {
      'query-funds': ['read'], deposit: ['read'], 'query-orders': ['read'], 'create-orders': ['trade'], 'modify-orders': ['trade'],
      'cancel-orders': ['trade'], 'query-ledger': ['read'], 'export-data': ['read'], 'websocket-token': ['read'],
    },
    shapes: {
      apiKey: { pattern: /^[A-Za-z0-9+/]{56}$/, describe: '56 base64 characters' },
      apiSecret: { pattern: B64_64, describe: '88 base64 characters ending in ==' },
    },
    fieldTitles: { apiSecret: 'private key (base64)' },
  },
  coinbase: {
    title: 'Coinbase Advanced (CDP)',
    required: [['apiKey'], ['privateKey']],
    permissions: { view: ['read'], trade: ['trade'], transfer: ['transfer', 'withdraw'] },
    shapes: {
      // The key name of ECDSA keys, or the plain UUID key id of newer (Ed25519) keys.
      apiKey: { pattern: /^(organizations\/[0-9a-f-]+\/apiKeys\/[0-9a-f-]+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i, describe: 'organizations/{org}/apiKeys/{id}, or a UUID' },
    },
    fieldTitles: { apiKey: 'API key name' },
    // cdp_api_key.json: {"name", "privateKey"} (ECDSA, PEM) or {"id", "privateKey"} (Ed25519, base64).
    keyFileFields: { name: 'apiKey', id: 'apiKey' },
  },
  'coinbase-exchange': {
    title: 'Coinbase Exchange',
    required: [['apiKey'], ['apiSecret'], ['passphrase']],
    // "manage" can change profiles and transfer settings: treated as money-moving.
    permissions: { view: ['read'], trade: ['trade'], transfer: ['transfer', 'withdraw'], manage: ['transfer'] },
    shapes: {
      apiKey: { pattern: /^[0-9a-f]{32}$/, describe: '32 hex digits' },
      apiSecret: { pattern: B64_64, describe: '88 base64 characters ending in ==' },
    },
  },
  bitget: {
    title: 'Bitget',
    required: [['apiKey'], ['apiSecret'], ['passphrase']],
    permissions: {},
    shapes: {
      apiKey: { pattern: /^bg_[0-9a-f]{32}$/, describe: '"bg_" and 32 hex digits' },
      apiSecret: { pattern: /^[0-9a-f]{64}$/, describe: '64 hex digits' },
    },
  },
  bitmex: { title: 'BitMEX', required: [['apiKey'], ['apiSecret']], permissions: { 'order': ['trade'], 'order-cancel': ['trade'] }, shapes: {} },
  bingx: { title: 'BingX', required: [['apiKey'], ['apiSecret']], permissions: {}, shapes: {} },
  // A DEX: orders are signed with a wallet's key (CCXT: walletAddress + privateKey), or with an
  // API wallet's key the account approved; there is no API key or secret.
  hyperliquid: {
    title: 'Hyperliquid',
    required: [['walletAddress'], ['privateKey']],
    permissions: {},
    shapes: {
      walletAddress: { pattern: /^0x[0-9a-fA-F]{40}$/, describe: '0x and 40 hex digits' },
      privateKey: { pattern: /^(0x)?[0-9a-fA-F]{64}$/, describe: '64 hex digits, 0x first' },
    },
    fieldTitles: { walletAddress: 'wallet address', privateKey: 'private key (hex)' },
  },
  // Any other exchange: an API key, or a wallet (dYdX and other DEXes through CCXT).
  other: { title: 'other', required: [['apiKey']], orSets: [['walletAddress', 'privateKey']], permissions: {}, shapes: {} },
};

/** What a person does on the exchange to replace a key by hand (vault rotate without a hook). */
export const ROTATE_STEPS: Record<ExchangeId, string> = {
  binance: 'API Management: create a new key (HMAC, or upload your Ed25519 public key); copy the permissions and set the IP allow-list (without one, trading stops after 30 days).',
  bybit: 'API Management: create a new key with the same permission groups and IP allow-list (keys without one expire after 90 days).',
  okx: 'API: create a new key with the same permissions, a passphrase of your choice, and up to 20 IPs.',
  kucoin: 'API Management: create a new key with the same permissions, a passphrase, an IP allow-list and an expiry.',
  kraken: 'Settings > API: create a new key with the same permissions and IP allow-list; give each bot process its own key.',
  coinbase: 'Developer Platform: create a new API key (key name and private key) with the same permissions and IP allow-list.',
  'coinbase-exchange': 'API settings: create a new key with the same permissions and passphrase.',
  bitget: 'API Management: create a new key with the same permissions, a passphrase and an IP allow-list.',
  bitmex: 'API Keys: create a new key with the same permissions.',
  bingx: 'API Management: create a new key with the same permissions and IP allow-list.',
  hyperliquid: 'API: generate a new API wallet, authorize it for the account, and store its private key (the old one is deregistered there).',
  other: "On the exchange's website: create a new key with the same permissions and IP allow-list.",
};

export function isExchangeId(x: string): x is ExchangeId {
  return (EXCHANGE_IDS as readonly string[]).includes(x);
}

/** Scopes a permission term grants on this exchange; our own scope names are always understood. */
export function scopesOf(exchange: ExchangeId, term: string): Scope[] | null {
  const t = term.trim().toLowerCase();
  if ((SCOPES as readonly string[]).includes(t)) return [t as Scope];
  return EXCHANGES[exchange].permissions[t] ?? null;
}

/** The fields keys of this exchange have; null: any (for "other"). */
export function fieldsOf(exchange: ExchangeId): string[] | null {
  return exchange === 'other' ? null : [...new Set([...EXCHANGES[exchange].required.flat(), ...(EXCHANGES[exchange].orSets?.flat() ?? [])])];
}

/** The fields a prompt should ask for: the first alternative of each requirement. */
export function promptFields(exchange: ExchangeId): string[] {
  return EXCHANGES[exchange].required.map((alts) => alts[0]!);
}

export function fieldTitle(exchange: ExchangeId, field: string): string {
  const own = EXCHANGES[exchange].fieldTitles?.[field];
  if (own) return own;
  return { apiKey: 'API key', apiSecret: 'API secret', passphrase: 'API passphrase', privateKey: 'private key (PEM)', walletAddress: 'wallet address' }[field] ?? field;
}
