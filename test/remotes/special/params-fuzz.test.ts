// Fuzz (fast-check) of special-remote parameters: command-line words (parseParamWords), their validation per
// type (checkParams), and remote.log configurations through parseRemoteConfig and what ferry derives from
// them (chunk size, cipher, embedded credentials). Whatever the input, nothing crashes: the result is a value
// or one of ferry's errors, whose message starts with the parameter's name.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseRemoteConfig, renderRemoteConfig } from '../../../src/annex/index.js';
import { SharedCipher } from '../../../src/crypto/index.js';
import { contentCipher } from '../../../src/remotes/special/cipher.js';
import { BadRemoteConfigError, COMMON_PARAMS, MANAGED_PARAMS, REFUSED_PARAMS, checkParams, chunkSizeOf, parseParamWords, redactConfig } from '../../../src/remotes/special/config.js';
import { decodeEmbeddedCreds, encodeEmbeddedCreds } from '../../../src/remotes/special/embedded-creds.js';
import { specialType, specialTypeNames } from '../../../src/remotes/special/types/registry.js';
import { FerryError, UsageError } from '../../../src/util/index.js';

const TYPES = specialTypeNames().map((n) => specialType(n)!);
const KNOWN = [...new Set([...COMMON_PARAMS, ...TYPES.flatMap((t) => t.params)].map((p) => p.name))];
const SPECIAL_NAMES = [...KNOWN, ...REFUSED_PARAMS.keys(), ...MANAGED_PARAMS, 'x-amz-meta-owner', 'Encryption', 'chunk ', ''];
const unit = fc.constantFrom('a', 'Z', '0', '9', '-', '_', '=', '&', ';', '/', '.', ' ', '\t', '\n', 'é', '日', '😀', '\u0000', 'M', 'i', 'B');
const text = fc.string({ unit, maxLength: 14 });
/** Values near the valid ones (sizes, enumerations, ports) and anything at all. */
const value = fc.oneof(
  text,
  fc.constantFrom('none', 'shared', 'hybrid', 'yes', 'no', 'true', 'path', 'v2', 'v4', 'http', 'https', 'HMACSHA1', 'HMACSHA512', 'MD5'),
  fc.tuple(fc.integer({ min: -5, max: 1 << 30 }), fc.constantFrom('', 'b', 'B', 'KiB', 'MiB', 'kb', 'GB', ' MiB', 'x')).map(([n, u]) => `${n}${u}`),
  fc.string(),
);
const name = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...SPECIAL_NAMES) }, { weight: 1, arbitrary: text });

test('parseParamWords: a map of the words, or a usage error quoting the word without "="', () => {
  fc.assert(fc.property(fc.array(fc.oneof(fc.string(), fc.tuple(name, value).map(([n, v]) => `${n}=${v}`)), { maxLength: 8 }), (words) => {
    try {
      const params = parseParamWords(words);
      for (const w of words) assert.equal(params.has(w.slice(0, w.indexOf('='))), true);
    } catch (err) {
      assert.ok(err instanceof UsageError, String(err));
      const bad = words.find((w) => w.indexOf('=') <= 0);
      assert.ok(bad !== undefined && err.message === `expected param=value, got '${bad}'`, err.message);
    }
  }), { numRuns: 2000 });
});

test('checkParams: accepts known parameters with good values, else a BadRemoteConfigError starting with the name', () => {
  fc.assert(fc.property(fc.constantFrom(...TYPES), fc.array(fc.tuple(name, value), { maxLength: 6 }), (type, pairs) => {
    const given = new Map(pairs);
    const specs = [...COMMON_PARAMS, ...type.params];
    try {
      checkParams(given, specs, type.name);
      for (const [n, v] of given) {
        const spec = specs.find((s) => s.name === n);
        assert.ok(spec !== undefined || n.startsWith('x-amz-meta-'), `accepted unknown ${n}`);
        assert.equal(spec?.check?.(v), undefined, `accepted ${n}=${v}`);
      }
    } catch (err) {
      assert.ok(err instanceof BadRemoteConfigError, String(err));
      assert.ok([...given.keys()].some((n) => err.message.startsWith(`${n}: `)), `the message names the parameter: ${err.message}`);
    }
  }), { numRuns: 3000 });
});

/** remote.log configurations: real fields with values near and far from valid ones, plus a real cipher at times. */
const config = fc.tuple(fc.array(fc.tuple(name, value), { maxLength: 8 }), fc.boolean(), fc.boolean()).map(([pairs, withCipher, withCreds]) => {
  const c = new Map(pairs.filter(([n]) => n !== '' && !/[\s=]/u.test(n)));
  if (withCipher) c.set('cipher', SharedCipher.generate().toRemoteLog());
  if (withCreds) c.set('s3creds', Buffer.from('KEY\nSECRET\n').toString('base64'));
  return c;
});

test('remote.log configurations: round trips, and ferry reads each field as a value or an error naming it', async () => {
  await fc.assert(fc.asyncProperty(config, async (c) => {
    const line = renderRemoteConfig(c);
    assert.deepEqual(parseRemoteConfig(line), c, 'render then parse gives the same configuration');
    assert.equal(renderRemoteConfig(parseRemoteConfig(line)), line);
    const read = parseRemoteConfig(line);
    try {
      const size = chunkSizeOf(read);
      assert.ok(size === undefined || (Number.isSafeInteger(size) && size > 0), `chunk size ${size}`);
    } catch (err) {
      assert.ok(err instanceof BadRemoteConfigError && err.message.startsWith('chunk: '), String(err));
    }
    const shown = redactConfig(read);
    for (const secret of ['cipher', 's3creds']) if (read.has(secret)) assert.equal(shown.get(secret), '(secret, not shown)', `${secret} is not shown`);
    for (const derive of [() => Promise.resolve(contentCipher(read)), () => decodeEmbeddedCreds('fuzz', read)]) {
      try {
        await derive();
      } catch (err) {
        assert.ok(err instanceof FerryError, `not one of ferry's errors: ${String(err)}`);
        assert.match(err.message, /^(cipher|mac|s3creds of remote fuzz): |^encryption=/, err.message);
        if ((read.get('cipher') ?? '').length >= 8) assert.ok(!err.message.includes(read.get('cipher')!), 'the cipher is not quoted');
      }
    }
  }), { numRuns: 400 });
});

test('any remote.log line parses; s3creds garbage under a real cipher is an error naming s3creds', async () => {
  fc.assert(fc.property(fc.string({ maxLength: 200 }), (line) => {
    const c = parseRemoteConfig(line);
    for (const k of c.keys()) assert.ok(!/\s/u.test(k) || k === '', `key ${JSON.stringify(k)}`);
  }), { numRuns: 2000 });
  const cipher = SharedCipher.generate().toRemoteLog();
  const good = await encodeEmbeddedCreds(new Map([['encryption', 'shared'], ['cipher', cipher]]), { accessKeyId: 'K', secretAccessKey: 'S' });
  await fc.assert(fc.asyncProperty(fc.oneof(fc.string({ maxLength: 120 }), fc.base64String({ maxLength: 160 }), fc.constant(good).chain((g) => fc.nat(g.length - 1).map((i) => `${g.slice(0, i)}${g[i] === 'A' ? 'B' : 'A'}${g.slice(i + 1)}`))), async (s3creds) => {
    const read = new Map([['encryption', 'shared'], ['cipher', cipher], ['s3creds', s3creds]]);
    try {
      const pair = await decodeEmbeddedCreds('fuzz', read);
      // Only the empty value (no pair) or a readable legacy pair in plain base64 get through.
      assert.ok(pair === undefined || (/^[\x21-\x7e]+$/.test(pair.accessKeyId) && /^[\x21-\x7e]+$/.test(pair.secretAccessKey)), JSON.stringify(pair));
    } catch (err) {
      assert.ok(err instanceof FerryError && err.message.startsWith('s3creds of remote fuzz: '), String(err));
    }
  }), { numRuns: 500 });
});
