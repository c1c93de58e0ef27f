// OKX v5: OK-ACCESS-SIGN = base64 HMAC-SHA256 of timestamp + method + path(+query) + body, with
// the key's passphrase in OK-ACCESS-PASSPHRASE; errors as {code, msg, data}.
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { ExchangeServer, fresh, Incoming, KeyRecord, Reply, same, startServer } from './base';

const fail = (status: number, code: string, msg: string): Reply => ({ status, body: { code, msg, data: [] } });
const ok = (data: unknown[]): Reply => ({ status: 200, body: { code: '0', msg: '', data } });

function check(req: Incoming, ex: ExchangeServer): KeyRecord | Reply {
  const h = req.headers;
  const key = ex.keys.get(String(h['ok-access-key'] ?? ''));
  if (!key) {
    ex.log.push({ method: req.method, path: req.path, signed: 'unknown-key' });
    return fail(401, '50111', 'Invalid OK-ACCESS-KEY');
  }
  const ts = String(h['ok-access-timestamp'] ?? '');
  const expected = createHmac('sha256', key.secret!).update(ts + req.method + req.url + (req.method === 'POST' ? req.body : '')).digest('base64');
  if (!same(expected, String(h['ok-access-sign'] ?? ''))) {
    ex.log.push({ method: req.method, path: req.path, signed: 'bad' });
    return fail(401, '50113', 'Invalid Sign');
  }
  if (!same(key.passphrase!, String(h['ok-access-passphrase'] ?? ''))) return fail(401, '50105', 'Your APIKey passphrase is incorrect');
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(ts) || !fresh(Date.parse(ts), 30_000)) return fail(401, '50102', 'Timestamp request expired');
  if ((h['x-simulated-trading'] === '1') !== Boolean(key.info.demo)) return fail(401, '50101', 'APIKey does not match current environment.');
  ex.log.push({ method: req.method, path: req.path, signed: 'ok' });
  return key;
}

export function okxServer(keys: KeyRecord[]): Promise<ExchangeServer> {
  return startServer((req, ex) => {
    const key = check(req, ex);
    if ('status' in key) return key;
    if (req.method === 'GET' && req.path === '/api/v5/account/config') return ok([{ uid: '1', acctLv: '2', posMode: 'net_mode', label: 'x', ...key.info }]);
    if (req.method === 'POST' && req.path === '/api/v5/users/subaccount/apikey') {
      const b = JSON.parse(req.body);
      const apiKey = randomUUID();
      const secret = randomBytes(16).toString('hex').toUpperCase();
      ex.keys.set(apiKey, { apiKey, secret, passphrase: b.passphrase, account: b.subAcct, info: { perm: b.perm, ip: b.ip ?? '' } });
      ex.created.push(apiKey);
      return ok([{ subAcct: b.subAcct, label: b.label, apiKey, secretKey: secret, passphrase: b.passphrase, perm: b.perm, ip: b.ip ?? '', ts: String(Date.now()) }]);
    }
    if (req.method === 'POST' && req.path === '/api/v5/users/subaccount/delete-apikey') {
      const b = JSON.parse(req.body);
      if (ex.keys.get(b.apiKey)?.account !== b.subAcct) return fail(200, '59503', 'no such key');
      ex.keys.delete(b.apiKey);
      ex.deleted.push(b.apiKey);
      return ok([{ subAcct: b.subAcct }]);
    }
    return fail(404, '50000', 'not found');
  }, (req) => fail(401, '50113', `Invalid Sign ${req.headers['ok-access-sign']}`), keys);
}
