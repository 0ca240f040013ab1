// The join code (docs/join-code.md): everything another machine needs to join a cloud, as one string that
// survives copy and paste. `ferry1-` + Crockford base32 (lower case, read in any case) of the raw-deflated
// JSON payload followed by 8 bytes of SHA-256 over the version and the deflated bytes: any typo or cut is
// refused as damaged, never read as another cloud. It holds the cipher, so it is a secret: never log it.
import { createHash } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { FerryError } from '../util/index.js';

export const JOIN_CODE_VERSION = 1;
const PREFIX = 'ferry';
const CHECKSUM_BYTES = 8;
/** Crockford's base32: no I, L, O or U, so the letters people confuse read as the digits they look like. */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const LOOKALIKES: Readonly<Record<string, string>> = { i: '1', l: '1', o: '0' };
/** A payload larger than this is not a join code (a code is ~1 KiB; this stops a deflate bomb). */
const MAX_PAYLOAD = 64 * 1024;

export interface JoinCode {
  /** The special remote's name; the cloud git remote is NAME-git. */
  readonly name: string;
  readonly type: 'directory' | 'S3';
  readonly uuid: string;
  /** Store parameters: directory=PATH, or S3's host, port, protocol, bucket, fileprefix, datacenter, requeststyle. */
  readonly params: Readonly<Record<string, string>>;
  /** The special remote's cipher as remote.log holds it (`cipher=`); absent for encryption=none. */
  readonly cipher?: string;
  /** remote.NAME-git.ferry-notify values. */
  readonly notify: readonly string[];
  /** The creating repository's folder name: join's default directory. */
  readonly folder?: string;
  /** Only with --embed-credentials. */
  readonly s3Credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Only with --embed-credentials: notifier passwords by transport (mqtt, xmpp). */
  readonly passwords?: Readonly<Record<string, string>>;
}

export class JoinCodeError extends FerryError {
  constructor(problem: string, hint = 'copy the whole code again from `ferry cloud show-code` on a machine that has the cloud') {
    super(`this join code ${problem}`, { hint });
  }
}

export function encodeJoinCode(code: JoinCode): string {
  const cipher = code.cipher !== undefined ? packCipher(code.cipher) : undefined;
  const json = JSON.stringify({
    n: code.name, t: code.type, u: code.uuid, p: code.params, m: code.notify,
    ...(cipher !== undefined ? { c: cipher.field } : {}),
    ...(code.folder !== undefined ? { f: code.folder } : {}),
    ...(code.s3Credentials ? { k: [code.s3Credentials.accessKeyId, code.s3Credentials.secretAccessKey] } : {}),
    ...(code.passwords ? { w: code.passwords } : {}),
  });
  // JSON.stringify writes no raw newline: the first one ends the JSON, the cipher's bytes follow.
  const plain = Buffer.concat([Buffer.from(`${json}\n`, 'utf8'), cipher?.bytes ?? Buffer.alloc(0)]);
  const body = deflateRawSync(plain, { level: 9 });
  return `${PREFIX}${JOIN_CODE_VERSION}-${base32(Buffer.concat([body, checksum(JOIN_CODE_VERSION, body)]))}`;
}

/** Reads a code; white space anywhere (a wrapped line) is ignored. Throws JoinCodeError for anything else wrong. */
export function decodeJoinCode(text: string): JoinCode {
  const compact = text.replace(/\s+/g, '').toLowerCase();
  const head = /^ferry(\d+)-/.exec(compact);
  if (head === null) throw new JoinCodeError('does not start with ferry1- (is it the whole code?)');
  const version = Number(head[1]);
  if (version !== JOIN_CODE_VERSION) {
    throw new JoinCodeError(`is of version ${version}; this ferry reads version ${JOIN_CODE_VERSION}`,
      version > JOIN_CODE_VERSION ? 'upgrade ferry on this machine' : 'make a new code with `ferry cloud show-code`');
  }
  const bytes = unbase32(compact.slice(head[0].length));
  if (bytes.length <= CHECKSUM_BYTES) throw new JoinCodeError('is too short: it was cut off');
  const body = bytes.subarray(0, bytes.length - CHECKSUM_BYTES);
  if (!checksum(version, body).equals(bytes.subarray(bytes.length - CHECKSUM_BYTES))) {
    throw new JoinCodeError('is damaged: its checksum does not match (a typo, or part of it is missing)');
  }
  let json: unknown;
  let tail: Buffer;
  try {
    const plain = inflateRawSync(body, { maxOutputLength: MAX_PAYLOAD });
    const end = plain.indexOf(0x0a);
    json = JSON.parse(plain.subarray(0, end < 0 ? plain.length : end).toString('utf8'));
    tail = end < 0 ? Buffer.alloc(0) : plain.subarray(end + 1);
  } catch {
    throw new JoinCodeError('passes its checksum but does not unpack (was it made by another program?)');
  }
  return payload(json, tail);
}

/**
 * remote.log's `cipher=` is base64 of the cipher, which git-annex makes as base64 text of random bytes and a
 * newline (gpg --gen-random --armor): taking both layers off halves what the code carries. `field` says how
 * to put them back (1: one layer, 2: two, 3: two and the newline); a value that is not canonical base64 is
 * carried as it is, as a string.
 */
function packCipher(text: string): { field: string | number; bytes?: Buffer } {
  const outer = Buffer.from(text, 'base64');
  if (text === '' || outer.toString('base64') !== text) return { field: text };
  const inner = outer.toString('latin1');
  const newline = inner.endsWith('\n');
  const core = newline ? inner.slice(0, -1) : inner;
  const raw = Buffer.from(core, 'base64');
  if (core !== '' && raw.toString('base64') === core) return { field: newline ? 3 : 2, bytes: raw };
  return { field: 1, bytes: outer };
}

function unpackCipher(field: unknown, bytes: Buffer): string | undefined {
  if (field === 1) return bytes.toString('base64');
  if (field === 2 || field === 3) return Buffer.from(`${bytes.toString('base64')}${field === 3 ? '\n' : ''}`, 'latin1').toString('base64');
  return undefined;
}

function checksum(version: number, body: Buffer): Buffer {
  return createHash('sha256').update(`${PREFIX}${version}\0`).update(body).digest().subarray(0, CHECKSUM_BYTES);
}

function base32(bytes: Buffer): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

function unbase32(text: string): Buffer {
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const [i, raw] of [...text].entries()) {
    const ch = LOOKALIKES[raw] ?? raw;
    const digit = ALPHABET.indexOf(ch);
    if (digit < 0) throw new JoinCodeError(`has a character that cannot be in a code ('${raw}' at position ${i + 1} after the prefix)`);
    value = (value << 5) | digit;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
    value &= (1 << bits) - 1;
  }
  // What is left must be the zero padding of the last character; anything else was not written by encode.
  if (bits >= 5 || value !== 0) throw new JoinCodeError('is damaged: it does not end where a code ends (cut off, or a character added)');
  return Buffer.from(out);
}

/** The payload checked field by field: a code that passed its checksum but lacks something is still refused. */
function payload(json: unknown, tail: Buffer): JoinCode {
  const o = (json ?? {}) as Record<string, unknown>;
  const isText = (v: unknown): v is string => typeof v === 'string';
  const textRecord = (v: unknown): v is Record<string, string> =>
    typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every(isText);
  const bad = (field: string): never => {
    throw new JoinCodeError(`is incomplete (its ${field} is missing or malformed)`);
  };
  const name = isText(o.n) && o.n !== '' ? o.n : bad('remote name');
  const type = o.t === 'directory' || o.t === 'S3' ? o.t : bad('store type');
  const uuid = isText(o.u) && /^[0-9a-fA-F-]{8,64}$/.test(o.u) ? o.u : bad('uuid');
  const params = textRecord(o.p) ? o.p : bad('store parameters');
  const notify = Array.isArray(o.m) && o.m.every(isText) ? o.m : bad('notifier settings');
  const cipher = o.c === undefined || isText(o.c) ? o.c : unpackCipher(o.c, tail);
  // The bytes after the JSON are the cipher's, and only with a `c` that says how to read them.
  if ((o.c !== undefined && cipher === undefined) || (isText(o.c) || o.c === undefined ? tail.length > 0 : tail.length === 0)) bad('cipher');
  if (o.f !== undefined && !isText(o.f)) bad('folder name');
  const k = o.k;
  if (k !== undefined && !(Array.isArray(k) && k.length === 2 && k.every(isText))) bad('S3 credentials');
  if (o.w !== undefined && !textRecord(o.w)) bad('notifier passwords');
  const creds = k as [string, string] | undefined;
  return {
    name, type, uuid, params, notify,
    ...(cipher !== undefined ? { cipher } : {}),
    ...(isText(o.f) ? { folder: o.f } : {}),
    ...(creds ? { s3Credentials: { accessKeyId: creds[0], secretAccessKey: creds[1] } } : {}),
    ...(textRecord(o.w) ? { passwords: o.w } : {}),
  };
}
