// Binance: signature over the query string (GET, DELETE) or the form body (POST), HMAC-SHA256
// hex with the secret, or Ed25519 / RSA base64 (URL-encoded) with the user's key pair.
import { createHmac, randomBytes, verify } from 'node:crypto';
import { ExchangeServer, fresh, Incoming, KeyRecord, Reply, same, startServer } from './base';

function check(req: Incoming, ex: ExchangeServer): { key: KeyRecord; params: URLSearchParams } | Reply {
  const key = ex.keys.get(String(req.headers['x-mbx-apikey'] ?? ''));
  const raw = req.method === 'POST' ? req.body : req.query;
  const at = raw.lastIndexOf('&signature=');
  if (!key) {
    ex.log.push({ method: req.method, path: req.path, signed: 'unknown-key' });
    return { status: 401, body: { code: -2015, msg: 'Invalid API-key, IP, or permissions for action.' } };
  }
  const payload = at < 0 ? raw : raw.slice(0, at);
  const sig = at < 0 ? '' : decodeURIComponent(raw.slice(at + '&signature='.length));
  const ok = key.secret
    ? same(createHmac('sha256', key.secret).update(payload).digest('hex'), sig)
    : verify(key.publicKey!.asymmetricKeyType === 'rsa' ? 'sha256' : null, Buffer.from(payload), key.publicKey!, Buffer.from(sig, 'base64'));
  const params = new URLSearchParams(payload);
  if (!ok) {
    ex.log.push({ method: req.method, path: req.path, signed: 'bad' });
    return { status: 400, body: { code: -1022, msg: 'Signature for this request is not valid.' } };
  }
  if (!fresh(Number(params.get('timestamp')))) return { status: 400, body: { code: -1021, msg: 'Timestamp for this request is outside of the recvWindow.' } };
  ex.log.push({ method: req.method, path: req.path, signed: 'ok' });
  return { key, params };
}

export function binanceServer(keys: KeyRecord[], tls?: { key: string; cert: string }): Promise<ExchangeServer> {
  return startServer((req, ex) => {
    const c = check(req, ex);
    if ('status' in c) return c;
    if (req.method === 'GET' && req.path === '/sapi/v1/account/apiRestrictions') return { status: 200, body: c.key.info };
    if (req.method === 'POST' && req.path === '/sapi/v2/sub-account/subAccountApi') {
      const apiKey = randomBytes(32).toString('hex');
      const secret = randomBytes(32).toString('hex');
      const p = c.params;
      ex.keys.set(apiKey, { apiKey, secret, account: p.get('email')!, info: { ipRestrict: p.get('status') === '2', createTime: Date.now(), enableReading: true, enableSpotAndMarginTrading: p.get('canTrade') === 'true', enableWithdrawals: false, enableInternalTransfer: false, enableMargin: p.get('canMarginLoanRepay') === 'true', enableFutures: p.get('canFuturesTrade') === 'true', permitsUniversalTransfer: p.get('canUniversalTransfer') === 'true', enableVanillaOptions: p.get('canVanillaOptions') === 'true', enablePortfolioMarginTrading: false, tradingAuthorityExpirationTime: 0, ips: p.get('ipAddress') } });
      ex.created.push(apiKey);
      return { status: 200, body: { apiKey, secretKey: secret } };
    }
    if (req.method === 'DELETE' && req.path === '/sapi/v1/sub-account/subAccountApi') {
      const target = c.params.get('subAccountApiKey')!;
      if (ex.keys.get(target)?.account !== c.params.get('email')) return { status: 400, body: { code: -12022, msg: 'no such key' } };
      ex.keys.delete(target);
      ex.deleted.push(target);
      return { status: 200, body: {} };
    }
    return { status: 404, body: { code: -1000, msg: 'not found' } };
  }, (req) => ({ status: 400, body: { code: -1022, msg: `Signature for this request is not valid: ${req.query || req.body}` } }), keys, tls);
}
