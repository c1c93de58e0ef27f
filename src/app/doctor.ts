// vault doctor: checks what makes unlocking work or fail, and says what to do about each.
import * as fs from 'node:fs';
import { EXIT, VaultError } from '../errors';
import { kdfImplementation } from '../crypto/kdf';
import { decodeFile } from '../format/header';
import { describeKdf, FORMAT_V1, KDF_PRESETS, presetName } from '../format/limits';
import { describeSlot } from '../format/slots/registry';
import { passphraseSlotOf } from '../format/seal';
import { keychainStatus } from './keychain';
import { AppContext, Keychain, PassphraseSource } from './ports';

export interface Check {
  name: string;
  status: 'ok' | 'warn' | 'fail' | 'info';
  detail: string;
  fix?: string;
}

/** Every check, and the status: 1 when any failed (a warning alone is not a failure). */
export async function runDoctor(ctx: AppContext, keychain: Keychain, passFile: PassphraseSource | undefined): Promise<{ checks: Check[]; status: number }> {
  const checks: Check[] = [];
  let opened = false;
  try {
    const header = decodeFile(ctx.vault.read()).header;
    opened = true;
    checks.push({ name: 'vault file', status: 'ok', detail: `${ctx.vaultPath} (private, format ${header.version})` });
    if (header.version === FORMAT_V1) checks.push({ name: 'format', status: 'warn', detail: 'format 1 is read but no longer written', fix: 'convert it with: vault upgrade' });
    const scopeNames = (ids: number[]) => ids.map((id) => header.scopes.find((x) => x.id === id)?.name ?? String(id)).join(', ');
    const granted = (s: (typeof header.slots)[number]) => (header.scopes.length > 1 ? ` [scopes: ${scopeNames(s.scopes)}]` : '');
    checks.push({ name: 'key slots', status: 'info', detail: header.slots.map((s) => `${describeSlot(s)}${granted(s)}`).join('; ') });
    // An unlock kept by `vault unlock --for`: the vault opens for any process of this user now.
    const cached = ctx.unlocker.cache?.read(Buffer.from(header.vaultId).toString('hex'));
    if (cached) {
      cached.fill(0);
      checks.push({ name: 'unlocked for a while', status: 'info', detail: `by vault unlock --for, in ${ctx.unlocker.cache!.where}: commands of this user need no passphrase until it expires`, fix: 'end it now with: vault lock' });
    }
    const kdf = passphraseSlotOf(header).kdf;
    const preset = presetName(kdf);
    const weak = kdf.memKiB < KDF_PRESETS.moderate.memKiB;
    checks.push({
      name: 'key derivation',
      status: weak ? 'warn' : 'ok',
      detail: `${describeKdf(kdf)}${preset ? ` (preset ${preset})` : ' (custom)'}`,
      ...(weak && { fix: 'raise it with: vault passwd --keep-passphrase --kdf moderate' }),
    });
  } catch (err) {
    if (!(err instanceof VaultError)) throw err;
    checks.push({ name: 'vault file', status: 'fail', detail: err.message, ...(err.hints[0] && { fix: err.hints[0] }) });
  }
  // Which Argon2id derives here: both give the same key for one lane; only native does more.
  checks.push(
    (await kdfImplementation()) === 'native'
      ? { name: 'argon2id', status: 'ok', detail: 'native (@node-rs/argon2)' }
      : { name: 'argon2id', status: 'warn', detail: 'WebAssembly (libsodium): the native module did not load here, so unlocking is slower and a vault with more than one lane cannot be opened', fix: 'reinstall exvault with npm (its optional dependency for this platform, @node-rs/argon2-*, is missing or broken)' },
  );
  if (opened) {
    try {
      const backup = ctx.vault.readBackup();
      if (backup) {
        decodeFile(backup.bytes);
        checks.push({ name: 'backup', status: 'ok', detail: backup.file });
      }
    } catch (err) {
      if (!(err instanceof VaultError)) throw err;
      checks.push({ name: 'backup', status: 'warn', detail: err.message, fix: 'the next change to the vault writes a new backup' });
    }
  }
  if (keychain.backend === 'secret-service') {
    checks.push(
      process.env.DBUS_SESSION_BUS_ADDRESS
        ? { name: 'd-bus session', status: 'ok', detail: 'DBUS_SESSION_BUS_ADDRESS is set' }
        : { name: 'd-bus session', status: 'warn', detail: 'no D-Bus session: the keychain cannot be reached (usual under cron and ssh)', fix: 'use --passphrase-file or EXVAULT_PASSPHRASE_FILE here' },
    );
  }
  if (opened) {
    const k = await keychainStatus(ctx, keychain);
    if (!k.answers) {
      checks.push({ name: 'keychain', status: k.enabled ? 'fail' : 'info', detail: `${k.backend}: ${k.problem}`, fix: 'use a passphrase file, or unlock the keyring in a desktop session' });
    } else if (!k.enabled) {
      checks.push({ name: 'keychain', status: 'info', detail: `${k.backend} answers; not enabled for this vault`, fix: 'enable it with: vault keychain enable' });
    } else if (k.itemPresent === false) {
      checks.push({ name: 'keychain', status: 'fail', detail: "enabled, but the keychain answered without the vault's item (keyring restarted, locked or reset? item deleted? vault copied?)", fix: 'unlock your keyring and try again; or unlock with the passphrase, then: vault keychain enable' });
    } else {
      checks.push({ name: 'keychain', status: 'ok', detail: `${k.backend}: enabled, item present` });
    }
  }
  const passPath = passFile?.path;
  if (passPath) {
    try {
      const st = fs.statSync(passPath);
      const open = (st.mode & 0o077) !== 0;
      checks.push({
        name: 'passphrase file',
        status: open ? 'warn' : 'ok',
        detail: `${passPath}${open ? ' is readable by other users' : ' (private)'}`,
        ...(open && { fix: `chmod 600 ${passPath}` }),
      });
    } catch {
      checks.push({ name: 'passphrase file', status: 'fail', detail: `${passPath} cannot be read` });
    }
  }
  return { checks, status: checks.some((x) => x.status === 'fail') ? EXIT.failure : EXIT.ok };
}
