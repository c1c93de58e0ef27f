// One local server per exchange (see base.ts); tests point the CLI at them with EXVAULT_<EXCHANGE>_URL.
export { binanceServer } from './binance';
export { bybitServer } from './bybit';
export { coinbaseServer } from './coinbase';
export { kucoinServer } from './kucoin';
export { okxServer } from './okx';
export type { ExchangeServer, KeyRecord } from './base';
