// Which remote URLs vault sync accepts (pure): git's own transports only, no credential in the
// URL (the user part of an http(s) URL is where tokens go), no X:: helper; and git's text about
// a full disk is this host's disk (exit 9), not the remote's permissions.
import { checkRemoteUrl } from '../../../src/app/sync';
import { EXIT, StorageError, SyncError, UsageError } from '../../../src/errors';
import { classifyGitError } from '../../../src/platform/git-sync';

describe('checkRemoteUrl', () => {
  it.each([
    'https://ghp_TOKEN@github.com/x/r.git',
    'https://user%3Apw@host/r.git',
    'https://user@host/r.git',
    'http://u:p@host/r.git',
    'ssh://git:pw@host/r.git',
    'ssh://git%3Apw@host/r.git',
    'me:pw@host:path.git',
    'fd::3',
    'testgit::/x',
    'foo::bar',
    'ext::sh',
    'EXT::sh',
    'git://host/r.git',
    'ftp://host/r.git',
    '-uhack',
    'file:///a b',
    '',
  ])('refuses %j (exit 2), without repeating it', (url) => {
    let err: unknown;
    try {
      checkRemoteUrl(url);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(EXIT.usage);
    if (url.length > 6) expect((err as UsageError).message).not.toContain(url);
  });

  it.each(['ssh://git@host/srv/vault.git', 'ssh://host:2222/srv/vault.git', 'git@host:vault.git', 'host:vault.git', 'https://host/vault.git', 'http://host/vault.git', 'file:///srv/vault.git', '/srv/vault.git', '../vault.git'])('allows %j', (url) => {
    expect(() => checkRemoteUrl(url)).not.toThrow();
  });
});

describe('classifyGitError', () => {
  it('a full disk here is exit 9 naming this host\'s disk', () => {
    const e = classifyGitError('error: unable to create temporary file: No space left on device\nfatal: failed to write object', 'could not store the vault in the sync repository');
    expect(e).toBeInstanceOf(StorageError);
    expect(e.exitCode).toBe(EXIT.storage);
    expect(e.message).toMatch(/this host's disk is full/);
  });
  it('a full disk on the remote stays the remote\'s (exit 14)', () => {
    const e = classifyGitError('error: remote unpack failed: unable to create temporary object directory: No space left on device', 'could not push');
    expect(e).toBeInstanceOf(SyncError);
    expect(e.exitCode).toBe(EXIT.sync);
  });
  // A temp path or object id holding "403" once made a declined push read as a refused login.
  it('a declined push is a declined push whatever digits its paths hold', () => {
    const e = classifyGitError('To file:///tmp/sync-a4031x/hooked.git\n ! [remote rejected] main -> main (pre-receive hook declined)\nerror: failed to push some refs to \'file:///tmp/sync-a4031x/hooked.git\'', 'could not push');
    expect(e.message).toBe('could not push: the remote refused the push (a hook or rule on the server declined it)');
  });
  it('an https 403 is a refused login', () => {
    const e = classifyGitError("fatal: unable to access 'https://git.example/v.git/': The requested URL returned error: 403", 'could not fetch');
    expect(e.message).toBe('could not fetch: the remote refused the login');
  });
});
