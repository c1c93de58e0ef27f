// One HTTPS (or, for a local URL, HTTP) request to an exchange, bounded in time and size. The
// only network code in exvault: verify and sub-account rotation reach it, exec/get/unlock never
// do. Failures are one line naming the exchange and what went wrong; a response body is never
// quoted (exchanges echo the signed text and the signature in their error messages).
import * as http from 'node:http';
import * as https from 'node:https';
import { ExchangeUnreachableError } from '../../errors';

export const DEFAULT_TIMEOUT_MS = 15_000;
/** Larger answers are not what the documented endpoints return. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

export interface HttpRequest {
  /** Exchange title, for messages. */
  who: string;
  method: 'GET' | 'POST' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

export interface HttpAnswer {
  status: number;
  /** The parsed JSON body, or undefined when it was not JSON. */
  json: unknown;
}

/** The network port, as the exchange adapters see it (tests may give their own). */
export type HttpSend = (req: HttpRequest) => Promise<HttpAnswer>;

function networkProblem(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ECONNREFUSED': return 'connection refused';
    case 'ENOTFOUND': case 'EAI_AGAIN': return 'host not found';
    case 'ECONNRESET': return 'connection reset';
    case 'EHOSTUNREACH': case 'ENETUNREACH': return 'network unreachable';
    case 'CERT_HAS_EXPIRED': case 'DEPTH_ZERO_SELF_SIGNED_CERT': case 'SELF_SIGNED_CERT_IN_CHAIN': case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE': case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return 'its TLS certificate is not trusted';
    case 'ETIMEDOUT': return 'the connection timed out';
    case 'EPIPE': return 'the connection was closed';
    default:
      // EPROTO, ERR_SSL_*: most often an https:// address for a server that speaks plain http.
      if (err.code && /^(EPROTO|ERR_SSL_|ERR_TLS_)/.test(err.code)) return 'the TLS handshake failed (is the server at this address really https?)';
      return 'network error';
  }
}

export const sendHttp: HttpSend = (req) => {
  let u: URL;
  try {
    u = new URL(req.url);
  } catch {
    return Promise.reject(new ExchangeUnreachableError(`${req.who}: the API address is not a URL`));
  }
  const lib = u.protocol === 'https:' ? https : u.protocol === 'http:' ? http : null;
  if (!lib) return Promise.reject(new ExchangeUnreachableError(`${req.who}: the API address must be https:// (or http:// for a local test server)`));
  return new Promise<HttpAnswer>((resolve, reject) => {
    const headers: Record<string, string> = { 'user-agent': 'exvault', accept: 'application/json', ...req.headers };
    if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
    let settled = false;
    const fail = (message: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      r.destroy();
      reject(new ExchangeUnreachableError(`${req.who}: ${message}; nothing was changed`, [`the API address used: ${u.origin}`]));
    };
    const r = lib.request(u, { method: req.method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_RESPONSE_BYTES) fail('the answer is larger than any documented one');
        else chunks.push(c);
      });
      res.on('error', (e: NodeJS.ErrnoException) => fail(networkProblem(e)));
      res.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, json });
      });
    });
    // One deadline for the whole exchange (connect, send, answer): a server that accepts and
    // never answers cannot hold the command.
    const timer = setTimeout(() => fail(`no answer within ${Math.round(req.timeoutMs / 1000)} s`), req.timeoutMs);
    r.on('error', (e: NodeJS.ErrnoException) => fail(networkProblem(e)));
    if (req.body !== undefined) r.write(req.body);
    r.end();
  });
};
