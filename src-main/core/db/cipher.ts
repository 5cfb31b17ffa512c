// Encrypts provider API keys at rest. Core uses AES-256-GCM with a per-install key file (mode 0600);
// the Electron shell may pass its own Cipher backed by safeStorage instead.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CoreError } from '../errors/index.ts';

export interface Cipher {
  encrypt(plain: string): Buffer;
  decrypt(blob: Buffer): string;
}

const VERSION = 1;
/** The desktop app's keychain cipher (src-main/electron/keychain.ts) tags its blobs with 2. */
const KEYCHAIN_VERSION = 2;

export function aesCipher(key: Buffer): Cipher {
  if (key.length !== 32) throw new CoreError('internal', 'cipher key must be 32 bytes');
  return {
    encrypt(plain) {
      const iv = crypto.randomBytes(12);
      const c = crypto.createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
      return Buffer.concat([Buffer.from([VERSION]), iv, c.getAuthTag(), body]);
    },
    decrypt(blob) {
      if (blob[0] === KEYCHAIN_VERSION) {
        throw new CoreError(
          'unauthorized',
          'this secret was saved by the desktop app in the system keychain: use the app, or enter it again here',
        );
      }
      if (blob[0] !== VERSION) throw new CoreError('internal', 'unknown ciphertext version');
      const d = crypto.createDecipheriv('aes-256-gcm', key, blob.subarray(1, 13));
      d.setAuthTag(blob.subarray(13, 29));
      try {
        return Buffer.concat([d.update(blob.subarray(29)), d.final()]).toString('utf8');
      } catch {
        throw new CoreError('internal', 'stored secret cannot be decrypted with this install key');
      }
    },
  };
}

/** Loads the install key, creating it (0600) on first use. */
export function fileCipher(keyFile: string): Cipher {
  if (!fs.existsSync(keyFile)) {
    fs.mkdirSync(path.dirname(keyFile), { recursive: true });
    try {
      fs.writeFileSync(keyFile, crypto.randomBytes(32), { mode: 0o600, flag: 'wx' });
    } catch (e) {
      // Another process created it first; use theirs.
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  return aesCipher(fs.readFileSync(keyFile));
}
