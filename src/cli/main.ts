// Composition root of every command but exec's own fast start (exec-main.ts, chosen by
// bin/vault.js): the program with all commands, plus the words the tooling calls.
import { EXIT } from '../errors';
import { registerAdd } from './commands/add';
import { registerAudit } from './commands/audit';
import { registerCheck } from './commands/check';
import { registerRotate } from './commands/rotate';
import { registerVerify } from './commands/verify';
import { registerVersions } from './commands/history-rollback';
import { registerConfig } from './commands/config';
import { registerEdit } from './commands/edit';
import { registerExec } from './commands/exec';
import { registerGenerate } from './commands/generate';
import { registerExport } from './commands/export';
import { registerImport } from './commands/import';
import { registerBackup } from './commands/backup-restore';
import { registerCompletion } from './commands/completion';
import { runComplete } from './completion';
import { manPage } from './man-page';
import { registerScan } from './commands/scan';
import { registerGet } from './commands/get';
import { registerInit } from './commands/init';
import { registerInject } from './commands/inject';
import { registerKeychain } from './commands/keychain';
import { registerDoctor } from './commands/doctor';
import { registerList } from './commands/list';
import { registerPasswd } from './commands/passwd';
import { registerScope } from './commands/scope';
import { registerIdentity } from './commands/identity';
import { registerRecipient } from './commands/recipient';
import { registerSync } from './commands/sync';
import { registerUpgrade } from './commands/upgrade';
import { registerProfile } from './commands/profile';
import { registerRename } from './commands/rename';
import { registerRm } from './commands/rm';
import { registerShow } from './commands/show';
import { registerUnlock } from './commands/unlock';
import { buildProgram, RegisterCommand, runCli } from './run';

declare const EXVAULT_VERSION: string;

const ALL: RegisterCommand[] = [registerInit, registerAdd, registerList, registerShow, registerGet, registerEdit, registerRename, registerRm, registerPasswd, registerKeychain, registerUnlock, registerDoctor, registerExec, registerProfile, registerInject, registerAudit, registerConfig, registerCheck, registerVerify, registerRotate, registerVersions, registerGenerate, registerExport, registerImport, registerBackup, registerScan, registerUpgrade, registerScope, registerIdentity, registerRecipient, registerSync, registerCompletion];

runCli(ALL, async (argv) => {
  if (argv[0] === '__complete') {
    await runComplete(buildProgram(ALL), argv.slice(1));
    return EXIT.ok;
  }
  if (argv[0] === '__man') {
    // scripts/gen-man.mjs: docs/vault.1 from the same command tree the program parses with.
    process.stdout.write(manPage(buildProgram(ALL), typeof EXVAULT_VERSION === 'string' ? EXVAULT_VERSION : 'dev'));
    return EXIT.ok;
  }
  return undefined;
});
