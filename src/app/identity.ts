// A host's or person's own age X25519 identity (issue 16, first part): made here, kept in a
// file, and offered to the unlock ladder for the vault's X25519 slots. Its recipient (public)
// is what the admin grants scopes to with `vault recipient add`.
import { AgeIdentity, formatIdentityFile, MAX_IDENTITY_FILE_BYTES, parseIdentityFile } from '../crypto/age-x25519';
import { readCapped } from '../platform/secret-input';
import { writeNewFileAtomic } from '../storage/identity-file';

/** Creates a new identity in `file` (refused when one is there) and returns its recipient. */
export function initIdentity(file: string, now: Date): { recipient: string; warnings: string[] } {
  const id = AgeIdentity.generate();
  const text = Buffer.from(formatIdentityFile(id, now));
  try {
    const warnings = writeNewFileAtomic(file, text, 'the identity file');
    return { recipient: id.recipient(), warnings };
  } finally {
    text.fill(0);
    id.dispose();
  }
}

/** Reads an identity file (with the checks of a passphrase file) and returns its identity. */
export function readIdentityFile(file: string): AgeIdentity {
  const bytes = readCapped(file, MAX_IDENTITY_FILE_BYTES, 'the identity file', 'secret');
  try {
    return parseIdentityFile(bytes.toString('utf8'));
  } finally {
    bytes.fill(0);
  }
}

export function identityRecipient(file: string): string {
  const id = readIdentityFile(file);
  try {
    return id.recipient();
  } finally {
    id.dispose();
  }
}
