// Coinbase Advanced Trade (CDP keys): "Authorization: Bearer JWT", ES256 (P-256) or EdDSA, whose
// kid names the key, and whose uri (or uris) claim names this very request; valid two minutes.
import { verify } from 'node:crypto';
import { ExchangeServer, Incoming, KeyRecord, Reply, startServer } from './base';

const unauthorized: Reply = { status: 401, body: 'Unauthorized\n' };

function check(req: Incoming, ex: ExchangeServer): KeyRecord | Reply {
  const m = /^Bearer ([\w-]+)\.([\w-]+)\.([\w-]+)$/.exec(String(req.headers.authorization ?? ''));
  if (!m) return unauthorized;
  let header: Record<string, unknown>;
  let claims: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(m[1]!, 'base64url').toString());
    claims = JSON.parse(Buffer.from(m[2]!, 'base64url').toString());
  } catch {
    return unauthorized;
  }
  const key = ex.keys.get(String(header.kid));
  if (!key || claims.sub !== key.apiKey) {
    ex.log.push({ method: req.method, path: req.path, signed: 'unknown-key' });
    return unauthorized;
  }
  const input = Buffer.from(`${m[1]}.${m[2]}`);
  const sig = Buffer.from(m[3]!, 'base64url');
  const good = header.alg === 'ES256'
    ? verify('sha256', input, { key: key.publicKey!, dsaEncoding: 'ieee-p1363' }, sig)
    : header.alg === 'EdDSA' && verify(null, input, key.publicKey!, sig);
  const uri = `${req.method} ${req.headers.host}${req.path}`;
  const now = Math.floor(Date.now() / 1000);
  const uriOk = claims.uri === uri || (Array.isArray(claims.uris) && claims.uris.includes(uri));
  if (!good || !uriOk || typeof claims.exp !== 'number' || claims.exp < now || typeof claims.nbf !== 'number' || claims.nbf > now + 5) {
    ex.log.push({ method: req.method, path: req.path, signed: 'bad' });
    return unauthorized;
  }
  ex.log.push({ method: req.method, path: req.path, signed: 'ok' });
  return key;
}

export function coinbaseServer(keys: KeyRecord[]): Promise<ExchangeServer> {
  return startServer((req, ex) => {
    const key = check(req, ex);
    if ('status' in key) return key;
    if (req.method === 'GET' && req.path === '/api/v3/brokerage/key_permissions') return { status: 200, body: { portfolio_uuid: 'p', portfolio_type: 'DEFAULT', ...key.info } };
    return { status: 404, body: { error: 'NOT_FOUND' } };
  }, (req) => ({ status: 401, body: { error: 'UNAUTHENTICATED', message: `bad token ${req.headers.authorization}` } }), keys);
}
