// encryption=shared for a special remote (annex-format §6): the cipher in remote.log names objects by HMAC
// and encrypts their content as OpenPGP symmetric messages, in-process (crypto/), the bytes gpg writes.
import { SharedCipher, decryptStream, encryptStream, parseMacName } from '../../crypto/index.js';
import { FerryError } from '../../util/index.js';
import type { ContentCipher } from './special-remote.js';

/** The remote.log fields of a new shared cipher. */
export function newCipherConfig(): Map<string, string> {
  return new Map([['cipher', SharedCipher.generate().toRemoteLog()]]);
}

/** The ContentCipher of a remote's config, or undefined for encryption=none. */
export function contentCipher(config: ReadonlyMap<string, string>): ContentCipher | undefined {
  const encryption = config.get('encryption') ?? 'none';
  if (encryption === 'none') return undefined;
  if (encryption !== 'shared') {
    throw new FerryError(`encryption=${encryption} uses gpg keys, which ferry does not support yet`, {
      data: { encryption }, hint: 'use this remote with git-annex, or make a remote with encryption=shared',
    });
  }
  const cipher = SharedCipher.fromRemoteLog(config.get('cipher') ?? '');
  const mac = parseMacName(config.get('mac') ?? 'HMACSHA1');
  const passphrase = cipher.passphrase();
  return {
    storedName: (key) => cipher.encryptedKeyName(key, mac),
    encrypt: (plain, size) => encryptStream(plain, passphrase, size),
    decrypt: (message) => decryptStream(message, passphrase),
  };
}
