// A fake exchange on 127.0.0.1 for rotation tests: keys authenticate requests that create a
// new key or delete one. It counts what happens so tests can see the exchange's side.
import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';

export interface FakeExchange {
  url: string;
  /** Live keys: apiKey -> apiSecret. */
  keys: Map<string, string>;
  created: number;
  deleted: number;
  close(): Promise<void>;
}

export async function startFakeExchange(seed: { apiKey: string; apiSecret: string }): Promise<FakeExchange> {
  const ex: FakeExchange = { url: '', keys: new Map([[seed.apiKey, seed.apiSecret]]), created: 0, deleted: 0, close: async () => undefined };
  const server = http.createServer((req, res) => {
    const key = String(req.headers['x-api-key'] ?? '');
    const authed = ex.keys.get(key) === req.headers['x-api-secret'];
    const send = (status: number, body?: object) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body ? JSON.stringify(body) : '');
    };
    // As exchanges do: an unknown key and a wrong signature are different errors.
    if (!authed) return send(401, { error: ex.keys.has(key) ? 'invalid signature' : 'invalid key' });
    if (req.method === 'POST' && req.url === '/keys') {
      const apiKey = `fk${randomBytes(16).toString('hex')}`;
      const apiSecret = randomBytes(24).toString('hex');
      ex.keys.set(apiKey, apiSecret);
      ex.created++;
      return send(201, { apiKey, apiSecret });
    }
    const m = /^\/keys\/([^/]+)$/.exec(req.url ?? '');
    if (req.method === 'DELETE' && m) {
      const target = decodeURIComponent(m[1]!);
      if (!ex.keys.delete(target)) return send(404);
      ex.deleted++;
      return send(200, {});
    }
    send(404);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  ex.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  ex.close = () => new Promise((r) => server.close(() => r()));
  return ex;
}
