// Appends N authenticated records to a vault's audit log with the project's own chain code,
// in one write: the audit benchmark needs 100,000 records, and 100,000 `vault exec` runs
// (each one fsync) would take hours. Bundled and run by bench/scale-v2.mjs.
// Usage: node fill-audit.cjs VAULT_FILE PASSPHRASE_FILE N
import * as fs from 'node:fs';
import { auditMac } from '../../src/app/audit-writer';
import { ready } from '../../src/crypto/sodium';
import { makeRecord } from '../../src/domain/audit-chain';
import { decodeFile } from '../../src/format/header';
import { unwrapWithPassphrase } from '../../src/format/seal';
import { readChainTail } from '../../src/storage/audit-log-file';
import { auditPath } from '../../src/storage/paths';

async function main(): Promise<void> {
  const [vaultFile, passFile, count] = process.argv.slice(2);
  await ready();
  const parsed = decodeFile(new Uint8Array(fs.readFileSync(vaultFile!)));
  const dataKey = unwrapWithPassphrase(parsed, fs.readFileSync(passFile!, 'utf8').replace(/\n$/, ''));
  // The audit key comes from the default scope's key (format 1: the data key).
  const mac = auditMac(dataKey.primary).sign;
  const log = auditPath(vaultFile!);
  let state = readChainTail(log);
  const lines: string[] = [];
  const t = Date.now() - Number(count) * 60_000;
  for (let i = 0; i < Number(count); i++) {
    const exec = i % 2 === 0;
    const event = exec
      ? { cmd: 'exec', program: 'bot.py', entries: [{ entry: `bot-${String(i % 10).padStart(5, '0')}`, fields: ['apiKey', 'apiSecret'] }] }
      : { cmd: 'exec-exit', program: 'bot.py', result: 0, ref: state.seq };
    const { line, record } = makeRecord(event, state, mac, new Date(t + i * 60_000), 1000, 4242);
    lines.push(line);
    state = { seq: record.seq, authSeq: record.seq, mac: record.mac!, pending: [] };
  }
  fs.appendFileSync(log, `${lines.join('\n')}\n`, { mode: 0o600 });
}

void main();
