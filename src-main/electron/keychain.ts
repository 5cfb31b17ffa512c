// Provider keys and the Hub token encrypted with the system keychain (Electron's safeStorage) in the
// desktop app; secrets saved by headless mode (the install key file) still decrypt here.
import type { Cipher } from '../core/db/index.ts';

/** The part of Electron's safeStorage used here. */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  getSelectedStorageBackend?(): string;
  encryptString(plain: string): Buffer;
  decryptString(blob: Buffer): string;
}

/** Tag byte of keychain ciphertexts; the file cipher's own blobs start with 1. */
export const KEYCHAIN_TAG = 2;

/**
 * On Linux without a secret service, safeStorage falls back to a hard-coded password
 * ("basic_text"): no better than the key file, and unreadable by headless mode, so it is not used.
 */
export function keychainUsable(s: SafeStorageLike): boolean {
  if (!s.isEncryptionAvailable()) return false;
  return s.getSelectedStorageBackend?.() !== 'basic_text';
}

export function keychainCipher(s: SafeStorageLike, fileCipher: Cipher): Cipher {
  const usable = keychainUsable(s);
  return {
    encrypt(plain) {
      if (!usable) return fileCipher.encrypt(plain);
      return Buffer.concat([Buffer.from([KEYCHAIN_TAG]), s.encryptString(plain)]);
    },
    decrypt(blob) {
      if (blob[0] !== KEYCHAIN_TAG) return fileCipher.decrypt(blob);
      return s.decryptString(blob.subarray(1));
    },
  };
}
