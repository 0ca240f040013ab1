// embedcreds=yes (annex-format §6.5): an S3 remote's key pair kept in remote.log as `s3creds=`, so every clone
// can use the remote without the pair in its environment. With encryption=shared the pair "KEYID\nSECRET\n" is
// an OpenPGP symmetric message under the cipher's gpg passphrase (what git-annex feeds gpg), whose bytes are
// taken as Latin-1 characters, UTF-8 encoded, then base64'd (git-annex's toB64 of a String). With
// encryption=none it is base64 of the pair itself, as git-annex 10.20230126 stores it, without a warning.
// Errors here never quote the value, the pair, or the cipher.
import { SharedCipher, decryptMessage, encryptMessage } from '../../crypto/index.js';
import { decodeCredPair, encodeCredPair } from '../store/index.js';
import type { S3Credentials } from '../store/index.js';
import { FerryError } from '../../util/index.js';

/** The remote.log field git-annex keeps an S3 remote's pair in (credPairRemoteField). */
export const S3_CREDS_FIELD = 's3creds';

export class EmbeddedCredsError extends FerryError {
  constructor(remote: string, problem: string) {
    super(`${S3_CREDS_FIELD} of remote ${remote}: ${problem}`, {
      data: { remote, field: S3_CREDS_FIELD },
      hint: 'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run enableremote with them set to store a new pair',
    });
  }
}

/** True when remote.log asks for the pair to be embedded (only embedcreds=yes: ferry has no gpg-keyed ciphers). */
export function wantsEmbeddedCreds(config: ReadonlyMap<string, string>): boolean {
  return config.get('embedcreds') === 'yes';
}

function sharedCipherOf(config: ReadonlyMap<string, string>): SharedCipher | undefined {
  return config.get('encryption') === 'shared' ? SharedCipher.fromRemoteLog(config.get('cipher') ?? '') : undefined;
}

/** The value of `s3creds=` for `creds` under this remote's encryption (a fresh salt each time when encrypted). */
export async function encodeEmbeddedCreds(config: ReadonlyMap<string, string>, creds: S3Credentials): Promise<string> {
  const pair = Buffer.from(encodeCredPair(creds), 'utf8');
  const cipher = sharedCipherOf(config);
  if (cipher === undefined) return pair.toString('base64');
  const parts: Buffer[] = [];
  for await (const part of encryptMessage([pair], cipher.passphrase())) parts.push(part);
  return Buffer.from(Buffer.concat(parts).toString('latin1'), 'utf8').toString('base64');
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The pair remote.log holds for `remote`, or undefined when it holds none. Throws EmbeddedCredsError when it is unreadable. */
export async function decodeEmbeddedCreds(remote: string, config: ReadonlyMap<string, string>): Promise<S3Credentials | undefined> {
  const value = config.get(S3_CREDS_FIELD);
  if (value === undefined || value === '') return undefined;
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) throw new EmbeddedCredsError(remote, `not valid base64 (${value.length} characters)`);
  const raw = Buffer.from(value, 'base64');
  const cipher = sharedCipherOf(config);
  if (cipher === undefined) return decodeCredPair(raw.toString('utf8')) ?? notAPair(remote);
  let message: Buffer;
  try {
    message = latin1Bytes(strictUtf8.decode(raw));
  } catch {
    message = raw; // not the double encoding; let decryption or the fallback below judge
  }
  try {
    const parts: Buffer[] = [];
    for await (const part of decryptMessage([message], cipher.passphrase())) parts.push(part);
    return decodeCredPair(Buffer.concat(parts).toString('utf8')) ?? notAPair(remote);
  } catch (err) {
    if (err instanceof EmbeddedCredsError) throw err;
    // Old git-annex versions stored the pair unencrypted even with a cipher; git-annex still reads that for
    // a shared cipher (Creds.hs), and so does ferry, when it is printable text (a damaged message is not).
    const legacy = decodeCredPair(raw.toString('utf8'));
    const printable = (v: string) => /^[\x21-\x7e]+$/.test(v);
    if (legacy && printable(legacy.accessKeyId) && printable(legacy.secretAccessKey)) return legacy;
    return notAPair(remote, "it does not decrypt with the remote's cipher");
  }
}

/** Code points 0–255 back to the bytes they stood for; anything above was not written by this encoding. */
function latin1Bytes(text: string): Buffer {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0xff) throw new Error('not Latin-1');
  return Buffer.from(text, 'latin1');
}

function notAPair(remote: string, why = 'it is not a key id and secret on two lines'): never {
  throw new EmbeddedCredsError(remote, why);
}
