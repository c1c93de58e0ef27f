// A proxy in front of a local exchange server (exchange-servers/) that makes one request path
// fail the way networks and exchanges do: 'fail' answers with a given status and body without
// passing the request on; 'hang' never passes it on nor answers; 'hang-after' passes it on
// (the exchange acts) and then never answers, as when the answer is lost or the caller is
// killed just after the exchange acted. `hit` resolves once the rule has fired.
import * as http from 'node:http';
import { AddressInfo } from 'node:net';

export interface FaultRule {
  method: string;
  path: string;
  action: 'fail' | 'hang' | 'hang-after';
  status?: number;
  body?: unknown;
}

export interface FaultProxy {
  url: string;
  rule: FaultRule | null;
  /** Resolves when the rule has fired (for hang-after: once the exchange has answered). */
  hit: Promise<void>;
  /** Requests passed on, as "METHOD path". */
  passed: string[];
  close(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  let fired = () => undefined as void;
  const held = new Set<http.ServerResponse>();
  const p: FaultProxy = { url: '', rule: null, hit: Promise.resolve(), passed: [], close: async () => undefined };
  Object.defineProperty(p, 'rule', {
    get: () => rule,
    set: (r: FaultRule | null) => {
      rule = r;
      p.hit = new Promise<void>((res) => (fired = res));
    },
  });
  let rule: FaultRule | null = null;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const url = req.url ?? '/';
      const pathOnly = url.split('?')[0];
      const r = rule && rule.method === req.method && rule.path === pathOnly ? rule : null;
      if (r?.action === 'fail') {
        fired();
        res.writeHead(r.status ?? 500, { 'content-type': 'application/json' });
        return res.end(typeof r.body === 'string' ? r.body : JSON.stringify(r.body ?? {}));
      }
      if (r?.action === 'hang') {
        held.add(res);
        return fired();
      }
      p.passed.push(`${req.method} ${pathOnly}`);
      const fwd = http.request(`${target}${url}`, { method: req.method, headers: req.headers }, (up) => {
        const body: Buffer[] = [];
        up.on('data', (c) => body.push(c));
        up.on('end', () => {
          if (r?.action === 'hang-after') {
            held.add(res);
            return fired();
          }
          res.writeHead(up.statusCode ?? 502, up.headers);
          res.end(Buffer.concat(body));
        });
      });
      fwd.on('error', () => res.destroy());
      fwd.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  p.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  p.close = () => new Promise((r) => {
    for (const h of held) h.destroy();
    server.closeAllConnections?.();
    server.close(() => r());
  });
  return p;
}
