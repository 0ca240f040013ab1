// git-annex's `encryption=shared` cipher (annex-format.md §6.1–6.2): the text `gpg --gen-random --armor 2 512`
// prints, kept in remote.log as base64 of that text. Its first 256 characters are the HMAC key that names
// objects; the rest (up to the line feed) is the gpg passphrase of every object. The text never leaves this
// object except through the accessors below; printing the object shows a placeholder.
import { createHmac, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { encodeLossless } from '../util/index.js';
import { CipherFormatError } from './errors.js';

/** The MACs git-annex accepts in `mac=`, mapped to Node hash names (git-annex Crypto.hs, §6.2). */
const MACS = {
  HMACSHA1: 'sha1',
  HMACSHA224: 'sha224',
  HMACSHA256: 'sha256',
  HMACSHA384: 'sha384',
  HMACSHA512: 'sha512',
} as const;

export type MacName = keyof typeof MACS;
export const MAC_NAMES = Object.keys(MACS) as readonly MacName[];
export const DEFAULT_MAC: MacName = 'HMACSHA1';

/** The MAC key is the first 256 characters of the cipher text, used as raw bytes (§10 pitfall 4). */
const MAC_KEY_LENGTH = 256;
/** gpg --gen-random 512 bytes, armored: 684 base64 characters and a line feed. */
const GENERATED_BYTES = 512;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function isMacName(name: string): name is MacName {
  return Object.hasOwn(MACS, name);
}

/** Checks a remote.log `mac=` value; the error lists the accepted names. */
export function parseMacName(name: string): MacName {
  if (isMacName(name)) return name;
  throw new CipherFormatError(`mac: expected one of ${MAC_NAMES.join(', ')}, got '${name}'`, { data: { mac: name } });
}

export class SharedCipher {
  readonly #text: Buffer;

  private constructor(text: Buffer) {
    this.#text = text;
  }

  /** From remote.log's `cipher=` value (base64 of the cipher text). The error never quotes the value. */
  static fromRemoteLog(value: string): SharedCipher {
    if (value === '') throw new CipherFormatError('cipher: missing (encryption=shared needs a cipher= field in remote.log)');
    if (value.length % 4 !== 0 || !BASE64.test(value)) {
      throw new CipherFormatError(`cipher: not valid base64 (${value.length} characters)`, { data: { length: value.length } });
    }
    const text = Buffer.from(value, 'base64');
    // gpg stops reading the passphrase at the first line feed, so that is where the passphrase ends.
    const lf = text.indexOf(0x0a, MAC_KEY_LENGTH);
    const passphraseLength = (lf < 0 ? text.length : lf) - MAC_KEY_LENGTH;
    if (passphraseLength <= 0) {
      throw new CipherFormatError(`cipher: ${text.length} bytes is too short for a shared cipher (git-annex writes 685)`, {
        data: { bytes: text.length },
      });
    }
    return new SharedCipher(text);
  }

  /** A new cipher, the same shape `gpg --gen-random --armor 2 512` gives git-annex: base64 text and a line feed. */
  static generate(): SharedCipher {
    return new SharedCipher(Buffer.from(`${randomBytes(GENERATED_BYTES).toString('base64')}\n`, 'latin1'));
  }

  /** The value of remote.log's `cipher=` field. */
  toRemoteLog(): string {
    return this.#text.toString('base64');
  }

  /** HMAC key for object names: cipher text [0, 256). */
  macKey(): Buffer {
    return Buffer.from(this.#text.subarray(0, MAC_KEY_LENGTH));
  }

  /** The gpg passphrase: cipher text from 256 up to (not including) the line feed, 428 characters normally. */
  passphrase(): Buffer {
    const lf = this.#text.indexOf(0x0a, MAC_KEY_LENGTH);
    return Buffer.from(this.#text.subarray(MAC_KEY_LENGTH, lf < 0 ? this.#text.length : lf));
  }

  /**
   * The name the remote stores `key` under (§6.2): `GPG` + MAC name + `--` + hex HMAC of the serialized,
   * unencrypted key, chunk fields included. Keys are lossless strings (util/text) or raw bytes.
   */
  encryptedKeyName(key: string | Uint8Array, mac: MacName = DEFAULT_MAC): string {
    const hash = MACS[mac] as string | undefined;
    if (hash === undefined) parseMacName(mac);
    const bytes = typeof key === 'string' ? encodeLossless(key) : key;
    return `GPG${mac}--${createHmac(hash!, this.#text.subarray(0, MAC_KEY_LENGTH)).update(bytes).digest('hex')}`;
  }

  /** The whole cipher text, as key material for derived keys (cloudgit's HKDF); never printed. */
  keyMaterial(): Buffer {
    return Buffer.from(this.#text);
  }

  /** Whether two ciphers are the same text (for enableremote checks), without exposing either. */
  equals(other: SharedCipher): boolean {
    return this.#text.equals(other.#text);
  }

  toString(): string {
    return redactCipher();
  }

  toJSON(): string {
    return redactCipher();
  }

  [inspect.custom](): string {
    return `SharedCipher(${redactCipher()})`;
  }
}

/** What a cipher prints as anywhere (logs, --json, errors, `ferry info`). */
export function redactCipher(): string {
  return '<redacted>';
}
