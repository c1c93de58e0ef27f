// The unlock ladder against a real Secret Service (gnome-keyring under dbus-run-session,
// started by scripts/with-keyring.sh), and the cases where it is absent, locked, or its
// item is gone. Cases that must break the keyring run in a private D-Bus session of their own.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLI, FAST_KDF, HANG_MS, OKX_JSON, Sandbox } from '../helpers/cli';
import { CANARY } from '../helpers/canary';
import { Terminal } from '../helpers/tmux';

const haveSession = Boolean(process.env.DBUS_SESSION_BUS_ADDRESS);

let sb: Sandbox;
const keysSeen: Buffer[] = [];

beforeAll(() => {
  if (!haveSession) throw new Error('keychain tests need the Secret Service: run them through npm test (scripts/with-keyring.sh)');
  sb = new Sandbox();
});
afterAll(() => {
  sb.assertNoCanary();
  // The keychain keys never reached any output or file either.
  for (const f of sb.files()) {
    const data = fs.readFileSync(f);
    for (const k of keysSeen) {
      expect(data.includes(k)).toBe(false);
      expect(data.includes(Buffer.from(k.toString('hex')))).toBe(false);
      expect(data.includes(Buffer.from(k.toString('base64')))).toBe(false);
    }
  }
  sb.cleanup();
});

/** Accounts of exvault items in the keychain, read with secret-tool (libsecret), not our code. */
function items(): { account: string; secret: Buffer }[] {
  const r = spawnSync('secret-tool', ['search', '--all', '--unlock', 'service', 'exvault'], { encoding: 'utf8' });
  // secret-tool prints the attributes on stderr.
  const accounts = [...`${r.stdout}\n${r.stderr}`.matchAll(/^attribute\.username = (.+)$/gm)].map((m) => m[1]!);
  return accounts.map((account) => ({ account, secret: execFileSync('secret-tool', ['lookup', 'service', 'exvault', 'username', account]) }));
}

function vaultIdOf(file: string): string {
  return fs.readFileSync(file).subarray(14, 30).toString('hex');
}

describe('with a working Secret Service', () => {
  it('init --keychain: later commands open the vault without any passphrase', async () => {
    expect((await sb.vaultCmd(['init', '--keychain', ...FAST_KDF])).code).toBe(0);
    const mine = items().filter((i) => i.account.startsWith(vaultIdOf(sb.vault)));
    expect(mine).toHaveLength(1);
    expect(mine[0]!.secret).toHaveLength(32);
    keysSeen.push(mine[0]!.secret);
    expect((await sb.vaultCmd(['add', 'okx', '--exchange', 'okx'], { input: OKX_JSON })).code).toBe(0);
    const r = await sb.run(['get', 'okx', 'passphrase'], { reveals: true });
    expect(r).toMatchObject({ code: 0, stdout: `${CANARY.passphrase}\n` });
  });

  it("exec loads the keyring addon's build for this machine by its package name, not through the package's loader", () => {
    // The loader (index.js) costs about 10M instructions of every exec (src/platform/keychain.ts).
    const log = path.join(sb.root, 'tmp', 'keyring-open.log');
    const r = spawnSync('strace', ['-f', '-qq', '-e', 'trace=openat', '-o', log, process.execPath, CLI, 'exec', 'okx', '--', 'true'], { env: sb.env, encoding: 'utf8' });
    expect(r.status).toBe(0);
    const opened = fs.readFileSync(log, 'utf8');
    fs.rmSync(log);
    expect(opened).toContain(`@napi-rs/keyring-linux-${process.arch}-gnu/keyring.linux-${process.arch}-gnu.node`);
    expect(opened).not.toContain('@napi-rs/keyring/index.js');
  });

  it('status reports the slot, the backend and the item', async () => {
    const r = await sb.run(['keychain', 'status', '--json']);
    expect(JSON.parse(r.stdout)).toEqual({ schema: 1, backend: 'secret-service', enabled: true, answers: true, problem: null, itemPresent: true });
  });

  it('disable removes slot and item; the passphrase is needed again; enable restores it', async () => {
    expect((await sb.run(['keychain', 'disable'])).code).toBe(0);
    expect(items().filter((i) => i.account.startsWith(vaultIdOf(sb.vault)))).toHaveLength(0);
    expect((await sb.run(['list'])).code).toBe(7);
    // enable needs the passphrase: without it and without a terminal, exit 7.
    expect((await sb.run(['keychain', 'enable'])).code).toBe(7);
    expect((await sb.vaultCmd(['keychain', 'enable'])).code).toBe(0);
    keysSeen.push(...items().map((i) => i.secret));
    expect((await sb.run(['list', '--json'])).code).toBe(0);
  });

  it("another vault's keychain key does not open this vault", async () => {
    const other = path.join(sb.root, 'home', 'other.exv');
    expect((await sb.vaultCmd(['--vault', other, 'init', '--keychain', ...FAST_KDF])).code).toBe(0);
    const all = items();
    const mineItem = all.find((i) => i.account.startsWith(vaultIdOf(sb.vault)))!;
    const otherItem = all.find((i) => i.account.startsWith(vaultIdOf(other)))!;
    keysSeen.push(otherItem.secret);
    // Put the other vault's key under this vault's account (as libsecret would store it).
    const store = spawnSync('secret-tool', ['store', '--label', 'swap', 'service', 'exvault', 'username', mineItem.account], { input: otherItem.secret });
    expect(store.status).toBe(0);
    const r = await sb.run(['list']);
    expect(r.code).toBe(6);
    expect(r.stderr).toContain("the vault's keychain item does not open it");
    // Put the right key back.
    spawnSync('secret-tool', ['store', '--label', 'restore', 'service', 'exvault', 'username', mineItem.account], { input: mineItem.secret });
    expect((await sb.run(['list'])).code).toBe(0);
  });

  it('an item deleted behind the vault\'s back: a clear error, exit 6; the passphrase still works', async () => {
    const mine = items().find((i) => i.account.startsWith(vaultIdOf(sb.vault)))!;
    expect(spawnSync('secret-tool', ['clear', 'service', 'exvault', 'username', mine.account]).status).toBe(0);
    const r = await sb.run(['list']);
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/^vault: error: the keychain answered without the vault's item/);
    expect(r.stderr).toContain('vault: hint: give the passphrase with --passphrase-file PATH');
    expect((await sb.vaultCmd(['list'])).code).toBe(0);
    const status = JSON.parse((await sb.run(['keychain', 'status', '--json'])).stdout);
    expect(status.itemPresent).toBe(false);
    const doctor = await sb.run(['doctor']);
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toMatch(/FAIL +keychain +enabled, but the keychain answered without the vault's item/);
    expect((await sb.vaultCmd(['keychain', 'enable'])).code).toBe(0);
    keysSeen.push(...items().map((i) => i.secret));
  });

  it('a copy of the vault elsewhere still opens with its passphrase only', async () => {
    const copy = path.join(sb.root, 'home', 'copy.exv');
    fs.copyFileSync(sb.vault, copy);
    const r = await sb.vaultCmd(['--vault', copy, 'list', '--json'], { env: { DBUS_SESSION_BUS_ADDRESS: undefined } });
    expect(r.code).toBe(0);
  });

  it('the keychain key never appears in any output', async () => {
    const outputs = [
      await sb.run(['keychain', 'status']),
      await sb.run(['keychain', 'status', '--json']),
      await sb.run(['doctor', '--json']),
      await sb.run(['show', 'okx', '--json']),
      await sb.run(['list', '--debug']),
    ];
    for (const o of outputs) {
      for (const k of keysSeen) {
        for (const form of [k.toString('hex'), k.toString('base64'), k.toString('latin1')]) {
          expect(o.stdout.includes(form) || o.stderr.includes(form)).toBe(false);
        }
      }
    }
  });
});

describe('without a working Secret Service', () => {
  it('no D-Bus session: exit 6 without hanging, no prompt, naming the other ways', async () => {
    const r = await sb.run(['list'], { env: { DBUS_SESSION_BUS_ADDRESS: undefined } });
    expect(r.code).toBe(6);
    expect(r.ms).toBeLessThan(HANG_MS);
    expect(r.stderr).toMatch(/^vault: error: the OS keychain is unavailable: there is no D-Bus session/);
    expect(r.stderr).toContain('--passphrase-file PATH');
    expect(r.stdout).toBe('');
  });

  /** Runs a shell script in a private D-Bus session (its own keyring) with the CLI as $V. */
  function privateSession(script: string, config?: string): { out: string; ms: number } {
    const keyrings = fs.mkdtempSync(path.join(sb.root, 'tmp', 'kr-'));
    const t0 = Date.now();
    const args = [...(config ? [`--config-file=${config}`] : []), '--', 'sh', '-c', script];
    const r = spawnSync('dbus-run-session', args, {
      env: { ...sb.env, XDG_DATA_HOME: keyrings, V: `${process.execPath} ${CLI}`, VAULT: sb.vault, PASS: sb.passFile, DBUS_SESSION_BUS_ADDRESS: '' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    return { out: `${r.stdout}${r.stderr}`, ms: Date.now() - t0 };
  }

  it('a locked collection: exit 6 without hanging, no prompt without a terminal', () => {
    const script = `
      echo -n pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1
      v=$(mktemp -d)/v.exv
      $V --vault $v --passphrase-file $PASS init --keychain ${FAST_KDF.join(' ')} 2>/dev/null; echo "init=$?"
      $V --vault $v list >/dev/null 2>&1; echo "unlocked=$?"
      dbus-send --session --print-reply --dest=org.freedesktop.secrets /org/freedesktop/secrets \\
        org.freedesktop.Secret.Service.Lock array:objpath:/org/freedesktop/secrets/collection/login >/dev/null
      s=$(date +%s%N); $V --vault $v list </dev/null 2>$v.err; echo "locked=$?"; e=$(date +%s%N)
      echo "ms=$(( (e - s) / 1000000 ))"; cat $v.err
      $V --vault $v --passphrase-file $PASS list >/dev/null 2>&1; echo "passphrase=$?"`;
    const { out } = privateSession(script);
    expect(out).toMatch(/init=0\nunlocked=0\n/);
    expect(out).toMatch(/locked=6\n/);
    expect(Number(/ms=(\d+)/.exec(out)![1])).toBeLessThan(HANG_MS);
    expect(out).toMatch(/vault: error: the OS keychain is unavailable: the keyring is locked/);
    expect(out).toMatch(/passphrase=0/);
  });

  it('a keyring daemon killed and started afresh by D-Bus without the keyring: says it may have been restarted', () => {
    // The daemon that holds the item is killed (found through D-Bus, never by name: other test
    // runs have their own); the next request makes D-Bus start a fresh one on an empty store.
    const script = `
      echo -n pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1
      d=$(mktemp -d); v=$d/v.exv
      $V --vault $v --passphrase-file $PASS init --keychain ${FAST_KDF.join(' ')} >/dev/null 2>&1; echo "init=$?"
      pid=$(dbus-send --session --print-reply --dest=org.freedesktop.DBus / org.freedesktop.DBus.GetConnectionUnixProcessID string:org.freedesktop.secrets | awk '/uint32/ {print $2}')
      kill -9 "$pid"; while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
      dbus-update-activation-environment XDG_DATA_HOME=$d/fresh-store
      $V --vault $v list </dev/null 2>&1; echo "restarted=$?"
      $V --vault $v --passphrase-file $PASS list >/dev/null 2>&1; echo "passphrase=$?"`;
    const { out } = privateSession(script);
    expect(out).toMatch(/init=0\n/);
    expect(out).toMatch(/restarted=6\n/);
    expect(out).toMatch(/vault: error: the keychain answered without the vault's item: the keyring daemon may have been restarted, locked or reset/);
    expect(out).toMatch(/vault: hint: if the keyring daemon was restarted or locked, unlock your keyring/);
    expect(out).not.toMatch(/item is missing/);
    expect(out).toMatch(/passphrase=0/);
  });

  it('a D-Bus session with no Secret Service at all: exit 6 without hanging', () => {
    // A session bus that cannot start services, so nothing answers as org.freedesktop.secrets.
    const conf = path.join(sb.root, 'tmp', 'bare-session.conf');
    fs.writeFileSync(conf, `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>session</type><listen>unix:tmpdir=${path.join(sb.root, 'tmp')}</listen>
<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy></busconfig>`);
    // A vault with a keychain slot, made in the shared session, opened in the bare one.
    const script = `s=$(date +%s%N); $V --vault $VAULT list </dev/null 2>&1; echo "rc=$?"; e=$(date +%s%N); echo "ms=$(( (e - s) / 1000000 ))"`;
    const { out } = privateSession(script, conf);
    expect(out).toMatch(/rc=6/);
    expect(Number(/ms=(\d+)/.exec(out)![1])).toBeLessThan(HANG_MS);
    expect(out).toMatch(/vault: error: the OS keychain is unavailable: no Secret Service answers/);
  });

  it('with a terminal, a keychain failure falls through to the prompt, saying why once', async () => {
    const env = { ...sb.env } as Record<string, string>;
    delete env.DBUS_SESSION_BUS_ADDRESS;
    const t = new Terminal(env);
    try {
      t.start([process.execPath, CLI, 'list'], sb.root);
      const s = await t.waitFor(/Vault passphrase:/);
      expect(s.match(/the OS keychain is unavailable/g)).toHaveLength(1);
      expect(s).toContain('asking for the passphrase instead');
      t.type(CANARY.vaultPassphrase);
      expect(await t.exitCode()).toBe(0);
      expect(t.screen()).toContain('okx');
      expect(t.screen()).not.toContain(CANARY.vaultPassphrase);
    } finally {
      t.close();
    }
  });
});
