// KuCoin: KC-API-SIGN = base64 HMAC-SHA256 of timestamp + method + endpoint(+query) + body, and
// for key version 2 KC-API-PASSPHRASE = base64 HMAC-SHA256 of the passphrase; errors {code, msg}.
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { ExchangeServer, fresh, Incoming, KeyRecord, Reply, same, startServer } from './base';

const fail = (status: number, code: string, msg: string): Reply => ({ status, body: { code, msg } });
const ok = (data: unknown): Reply => ({ status: 200, body: { code: '200000', data } });

function check(req: Incoming, ex: ExchangeServer): KeyRecord | Reply {
  const h = req.headers;
  const key = ex.keys.get(String(h['kc-api-key'] ?? ''));
  if (!key) {
    ex.log.push({ method: req.method, path: req.path, signed: 'unknown-key' });
    return fail(401, '400003', 'KC-API-KEY not exists');
  }
  const ts = String(h['kc-api-timestamp'] ?? '');
  const sign = createHmac('sha256', key.secret!).update(ts + req.method + req.url + req.body).digest('base64');
  if (!same(sign, String(h['kc-api-sign'] ?? ''))) {
    ex.log.push({ method: req.method, path: req.path, signed: 'bad' });
    return fail(401, '400005', 'Invalid KC-API-SIGN');
  }
  const pass = h['kc-api-key-version'] === '2' || h['kc-api-key-version'] === '3' ? createHmac('sha256', key.secret!).update(key.passphrase!).digest('base64') : key.passphrase!;
  if (!same(pass, String(h['kc-api-passphrase'] ?? ''))) return fail(401, '400004', 'Invalid KC-API-PASSPHRASE');
  if (!fresh(Number(ts), 5000)) return fail(401, '400002', 'KC-API-TIMESTAMP Invalid');
  ex.log.push({ method: req.method, path: req.path, signed: 'ok' });
  return key;
}

export function kucoinServer(keys: KeyRecord[]): Promise<ExchangeServer> {
  return startServer((req, ex) => {
    const key = check(req, ex);
    if ('status' in key) return key;
    if (req.method === 'GET' && req.path === '/api/v1/user/api-key') return ok({ remark: 'x', apiKey: key.apiKey, apiVersion: 2, createdAt: 1, uid: 1, isMaster: !key.account, ...key.info });
    if (req.method === 'POST' && req.path === '/api/v1/sub/api-key') {
      const b = JSON.parse(req.body);
      const apiKey = randomBytes(12).toString('hex');
      const secret = randomUUID();
      ex.keys.set(apiKey, { apiKey, secret, passphrase: b.passphrase, account: b.subName, info: { permission: b.permission, ipWhitelist: b.ipWhitelist ?? '' } });
      ex.created.push(apiKey);
      return ok({ subName: b.subName, remark: b.remark, apiKey, apiSecret: secret, passphrase: b.passphrase, permission: b.permission, ipWhitelist: b.ipWhitelist ?? '', createdAt: Date.now(), apiVersion: 3 });
    }
    if (req.method === 'DELETE' && req.path === '/api/v1/sub/api-key') {
      const q = new URLSearchParams(req.query);
      const target = ex.keys.get(q.get('apiKey') ?? '');
      if (!target || target.account !== q.get('subName') || target.passphrase !== q.get('passphrase')) return fail(200, '400100', 'no such key');
      ex.keys.delete(target.apiKey);
      ex.deleted.push(target.apiKey);
      return ok({ subName: target.account, apiKey: target.apiKey });
    }
    return fail(404, '404000', 'not found');
  }, (req) => fail(401, '400005', `Invalid KC-API-SIGN ${req.headers['kc-api-sign']}`), keys);
}
