// Puts N entries into a fresh vault in one write, through the format library: a vault of
// 50,000 entries built by 50,000 `vault add` runs would take hours. Bundled and run by
// bench/scale-v2.mjs. Usage: node fill-entries.cjs VAULT_FILE PASSPHRASE_FILE ENTRIES_JSON
import * as fs from 'node:fs';
import { buildEntry } from '../../src/app/entries';
import { ready } from '../../src/crypto/sodium';
import { parseDoc, serializeDoc } from '../../src/domain/document';
import { parseExportJson } from '../../src/domain/export-format';
import { decodeFile } from '../../src/format/header';
import { openBody, sealFile, unwrapWithPassphrase } from '../../src/format/seal';

async function main(): Promise<void> {
  const [vaultFile, passFile, entriesFile] = process.argv.slice(2);
  await ready();
  const parsed = decodeFile(new Uint8Array(fs.readFileSync(vaultFile!)));
  const keys = unwrapWithPassphrase(parsed, fs.readFileSync(passFile!, 'utf8').replace(/\n$/, ''));
  const doc = parseDoc(openBody(parsed, keys));
  const now = new Date();
  const input = parseExportJson(fs.readFileSync(entriesFile!, 'utf8'));
  if (input.version === 1) for (const it of input.items) doc.entries.set(it.name, buildEntry(it.name, it.exchange, it.meta, it.secrets, now));
  else for (const e of input.entries) doc.entries.set(e.name, e);
  fs.writeFileSync(vaultFile!, sealFile(parsed.header, keys, serializeDoc(doc)), { mode: 0o600 });
}

void main();
