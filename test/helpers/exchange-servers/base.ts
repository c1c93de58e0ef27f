// A local HTTP server standing in for one exchange's API: it checks each request's signature
// exactly as that exchange documents it (a wrong one is refused with the exchange's documented
// error shape, so a passing test proves the signing), and serves the documented answer shapes.
// Modes for failure tests: 'hang' accepts and never answers; 'echo' refuses every request
// with an error body quoting the signature it got (as some exchanges quote the signed text).
import * as http from 'node:http';
import * as https from 'node:https';
import { AddressInfo } from 'node:net';
import { KeyObject, timingSafeEqual } from 'node:crypto';

export interface KeyRecord {
  apiKey: string;
  /** HMAC secret, as the exchange stores it. */
  secret?: string;
  /** The public half of a key pair the user made (Ed25519, RSA, EC). */
  publicKey?: KeyObject;
  passphrase?: string;
  /** What the exchange reports for this key (its own response object). */
  info: Record<string, unknown>;
  /** Sub-account it belongs to, for sub-key calls. */
  account?: string;
}

export interface Incoming {
  method: string;
  /** Path with its raw query. */
  url: string;
  path: string;
  query: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface Reply {
  status: number;
  body: unknown;
}

export type Mode = 'normal' | 'hang' | 'echo';

export interface ExchangeServer {
  url: string;
  keys: Map<string, KeyRecord>;
  mode: Mode;
  /** Every request seen, with whether its signature was accepted. */
  log: { method: string; path: string; signed: 'ok' | 'bad' | 'unknown-key' }[];
  created: string[];
  deleted: string[];
  /** Error bodies sent in 'echo' mode (each quotes the signature it got). */
  echoed: string[];
  close(): Promise<void>;
}

export const same = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

export type Handler = (req: Incoming, ex: ExchangeServer) => Reply;

/** `tls`: serve HTTPS with this key and certificate (PEM) instead of plain HTTP. */
export async function startServer(handler: Handler, echo: (req: Incoming) => Reply, keys: KeyRecord[], tls?: { key: string; cert: string }): Promise<ExchangeServer> {
  const ex: ExchangeServer = { url: '', keys: new Map(keys.map((k) => [k.apiKey, k])), mode: 'normal', log: [], created: [], deleted: [], echoed: [], close: async () => undefined };
  const hanging = new Set<http.ServerResponse>();
  const listener: http.RequestListener = (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const inc: Incoming = { method: req.method ?? 'GET', url, path: q < 0 ? url : url.slice(0, q), query: q < 0 ? '' : url.slice(q + 1), headers: req.headers, body: Buffer.concat(chunks).toString() };
      if (ex.mode === 'hang') {
        hanging.add(res);
        return;
      }
      const r = ex.mode === 'echo' ? echo(inc) : handler(inc, ex);
      const text = typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
      if (ex.mode === 'echo') ex.echoed.push(text);
      res.writeHead(r.status, { 'content-type': 'application/json' });
      res.end(text);
    });
  };
  const server = tls ? https.createServer(tls, listener) : http.createServer(listener);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  ex.url = `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  ex.close = () => new Promise((r) => {
    for (const h of hanging) h.destroy();
    server.closeAllConnections?.();
    server.close(() => r());
  });
  return ex;
}

/** A timestamp within the exchange's window of this machine's clock. */
export const fresh = (ms: number, windowMs = 60_000): boolean => Number.isFinite(ms) && Math.abs(Date.now() - ms) <= windowMs;
