// Bybit v5: X-BAPI-SIGN over timestamp + key + recvWindow + (query | body); HMAC hex, or RSA
// base64 with the user's key pair. Errors are HTTP 200 with a retCode; Bybit's retMsg for a bad
// signature quotes the signed text ("error sign! origin_string[...]").
import { createHmac, randomBytes, verify } from 'node:crypto';
import { ExchangeServer, fresh, Incoming, KeyRecord, Reply, same, startServer } from './base';

const fail = (retCode: number, retMsg: string): Reply => ({ status: 200, body: { retCode, retMsg, result: {}, retExtInfo: {}, time: Date.now() } });
const ok = (result: unknown): Reply => ({ status: 200, body: { retCode: 0, retMsg: 'OK', result, retExtInfo: {}, time: Date.now() } });

function check(req: Incoming, ex: ExchangeServer): KeyRecord | Reply {
  const h = req.headers;
  const key = ex.keys.get(String(h['x-bapi-api-key'] ?? ''));
  if (!key) {
    ex.log.push({ method: req.method, path: req.path, signed: 'unknown-key' });
    return fail(10003, 'API key is invalid.');
  }
  const origin = `${h['x-bapi-timestamp']}${key.apiKey}${h['x-bapi-recv-window']}${req.method === 'POST' ? req.body : req.query}`;
  const sig = String(h['x-bapi-sign'] ?? '');
  const good = key.secret ? same(createHmac('sha256', key.secret).update(origin).digest('hex'), sig) : verify('sha256', Buffer.from(origin), key.publicKey!, Buffer.from(sig, 'base64'));
  if (!good) {
    ex.log.push({ method: req.method, path: req.path, signed: 'bad' });
    return fail(10004, `error sign! origin_string[${origin}]`);
  }
  if (!fresh(Number(h['x-bapi-timestamp']), Number(h['x-bapi-recv-window']) + 1000)) return fail(10002, 'invalid request, please check your server timestamp or recv_window param');
  ex.log.push({ method: req.method, path: req.path, signed: 'ok' });
  return key;
}

export function bybitServer(keys: KeyRecord[]): Promise<ExchangeServer> {
  return startServer((req, ex) => {
    const key = check(req, ex);
    if ('status' in key) return key;
    if (req.method === 'GET' && req.path === '/v5/user/query-api') return ok(key.info);
    if (req.method === 'POST' && req.path === '/v5/user/create-sub-api') {
      const b = JSON.parse(req.body);
      const apiKey = randomBytes(9).toString('hex');
      const secret = randomBytes(18).toString('hex');
      ex.keys.set(apiKey, { apiKey, secret, account: String(b.subuid), info: { readOnly: b.readOnly, permissions: b.permissions, ips: b.ips ? String(b.ips).split(',') : ['*'], expiredAt: '' } });
      ex.created.push(apiKey);
      return ok({ id: '1', note: b.note, apiKey, readOnly: b.readOnly, secret, permissions: b.permissions });
    }
    if (req.method === 'POST' && req.path === '/v5/user/delete-sub-api') {
      const { apikey } = JSON.parse(req.body);
      if (!ex.keys.delete(apikey)) return fail(10001, 'no such key');
      ex.deleted.push(apikey);
      return ok({});
    }
    return fail(10001, 'not found');
  }, (req) => fail(10004, `error sign! sign[${req.headers['x-bapi-sign']}]`), keys);
}
