// Tampering seen through the CLI: every committed vector gives its documented exit status,
// and every single-byte change of a small vault is refused with exit 3 or 5, releasing nothing.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseVector } from '../vectors/generate';
import { OKX_JSON, Sandbox } from '../helpers/cli';

let sb: Sandbox;
beforeAll(async () => {
  sb = new Sandbox();
  await sb.init();
  const r = await sb.vaultCmd(['add', 'okx', '--exchange', 'okx'], { input: OKX_JSON });
  expect(r.code).toBe(0);
});
afterAll(() => {
  sb.assertNoCanary();
  sb.cleanup();
});

const VECTORS = path.join(__dirname, '../vectors');

it.each(fs.readdirSync(VECTORS).filter((f) => f.endsWith('.txt')))('vector %s exits as documented', async (name) => {
  const { fields, file } = parseVector(fs.readFileSync(path.join(VECTORS, name), 'utf8'));
  const vault = path.join(sb.root, 'home', name.replace('.txt', '.exv'));
  fs.writeFileSync(vault, file, { mode: 0o600 });
  const pass = sb.secretFile(`${name}.pass`, fields.passphrase!);
  const r = await sb.run(['--vault', vault, '--passphrase-file', pass, 'list', '--json'], { reveals: false });
  expect(r.code).toBe(Number(fields.exit));
  if (fields.expect === 'success') expect(JSON.parse(r.stdout)[0].name).toBe('binance-main');
  else expect(r.stdout).toBe('');
});

// Every byte with EXVAULT_LONG=1; by default every 7th (and the first and last 16): each
// position's refusal is proven in-process at 100% by test/adversarial/tamper.test.ts, so the
// CLI runs here show the exit statuses and that nothing is released, at a seventh of the cost.
const EVERY_BYTE = process.env.EXVAULT_LONG === '1';

it('single-byte changes of a small vault are refused (exit 3 or 5), nothing released, file untouched', async () => {
  const good = fs.readFileSync(sb.vault);
  const dir = path.join(sb.root, 'home', 'flips');
  fs.mkdirSync(dir, { mode: 0o700 });
  const codes = new Map<number, number>();
  const positions = Array.from({ length: good.length }, (_, i) => i).filter((i) => EVERY_BYTE || i % 7 === 0 || i < 16 || i >= good.length - 16);
  const tried = positions.length;
  const worker = async () => {
    for (let i = positions.shift(); i !== undefined; i = positions.shift()) {
      const bad = Buffer.from(good);
      bad[i]! ^= 0x5a;
      const f = path.join(dir, `flip-${i}.exv`);
      fs.writeFileSync(f, bad, { mode: 0o600 });
      const r = await sb.vaultCmd(['--vault', f, 'get', 'okx', 'apiSecret'], { reveals: false });
      expect([3, 5]).toContain(r.code);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^vault: error: /);
      expect(fs.readFileSync(f).equals(bad)).toBe(true);
      codes.set(r.code!, (codes.get(r.code!) ?? 0) + 1);
      fs.rmSync(f);
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  expect([...codes.values()].reduce((a, b) => a + b, 0)).toBe(tried);
  process.stderr.write(`byte flips: ${tried} of ${good.length} positions, exit 3: ${codes.get(3) ?? 0}, exit 5: ${codes.get(5) ?? 0}\n`);
}, 900_000); // a hang bound: some 600 runs of the CLI, slow only on a loaded machine
