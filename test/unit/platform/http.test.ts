// The one network call (platform/exchanges/http.ts) against real loopback servers: the answer
// parsed, a deadline for the whole request, a cap on the answer's size, and errors that never
// quote what the server sent.
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { sendHttp } from '../../../src/platform/exchanges/http';
import { ExchangeUnreachableError } from '../../../src/errors';
import { CANARY, findCanary } from '../../helpers/canary';

let server: http.Server;
let base: string;
const held: http.ServerResponse[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/json') return res.end(JSON.stringify({ ok: true, echo: req.headers['x-test'] }));
    if (req.url === '/text') return res.end(`not json ${CANARY.apiSecret}`);
    if (req.url === '/huge') {
      res.write('[');
      for (let i = 0; i < 2048; i++) res.write(`"${'x'.repeat(1022)}",`);
      return res.end('0]');
    }
    if (req.url === '/slow-body') {
      res.write('{"a":');
      held.push(res);
      return;
    }
    held.push(res); // never answers
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const r of held) r.destroy();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const req = (path: string, timeoutMs = 10_000) => sendHttp({ who: 'Test', method: 'GET', url: base + path, headers: { 'x-test': 'yes' }, timeoutMs });

it('parses a JSON answer and sends the headers given', async () => {
  expect(await req('/json')).toEqual({ status: 200, json: { ok: true, echo: 'yes' } });
});

it('an answer that is not JSON comes back as undefined, its text never kept', async () => {
  const a = await req('/text');
  expect(a).toEqual({ status: 200, json: undefined });
  expect(findCanary(JSON.stringify(a))).toBeNull();
});

it('one deadline for the whole request: no answer, or an answer that stops half way', async () => {
  for (const p of ['/never', '/slow-body']) {
    const err = await req(p, 500).catch((e) => e);
    expect(err).toBeInstanceOf(ExchangeUnreachableError);
    expect(err.message).toBe('Test: no answer within 1 s; nothing was changed');
  }
});

it('an answer larger than any documented one is refused', async () => {
  await expect(req('/huge')).rejects.toThrow('Test: the answer is larger than any documented one; nothing was changed');
});

it('connection refused and a non-URL are one line each', async () => {
  await expect(sendHttp({ who: 'Test', method: 'GET', url: 'http://127.0.0.1:9/', headers: {}, timeoutMs: 5000 })).rejects.toThrow('Test: connection refused; nothing was changed');
  await expect(sendHttp({ who: 'Test', method: 'GET', url: 'ftp://x/', headers: {}, timeoutMs: 5000 })).rejects.toThrow(/must be https/);
});
