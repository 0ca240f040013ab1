import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import {
  BadKeyError, DEFAULT_BACKEND, FileChangedError, UnknownBackendError, UnusableBackendError, backendByName, chunkKey,
  digestOfKey, fileKey, formatKey, hashDirLower, hashDirMixed, hashFile, isChunkKey, isKnownBackend, keyFile,
  keyForFile, keyFromDigest, knownBackends, nonChunkKey, parseKey, parseKeyOrThrow, sameFileState, selectExtension,
  verifyKey, wormKey, wormName,
} from '../../src/annex/keys/index.js';
import type { Key } from '../../src/annex/keys/index.js';
import { FerryError, FileSystemError } from '../../src/util/index.js';

const HELLO = 'a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447';
const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const BIN = '6a9172702b0adb00a97f6918c886612ad535e6d4beaf51bc550712d6c41f1216';

describe('keys: serialization (annex-format.md §1.1)', () => {
  const examples: [string, Key][] = [
    [`SHA256E-s12--${HELLO}.txt`, { backend: 'SHA256E', size: 12, name: `${HELLO}.txt` }],
    [`SHA256E-s3000000--${BIN}.bin`, { backend: 'SHA256E', size: 3000000, name: `${BIN}.bin` }],
    [`SHA256E-s0--${EMPTY}`, { backend: 'SHA256E', size: 0, name: EMPTY }],
    [`SHA256E-s3000000-S1048576-C2--${BIN}.bin`,
      { backend: 'SHA256E', size: 3000000, chunkSize: 1048576, chunkNum: 2, name: `${BIN}.bin` }],
    ['WORM-s3-m1795505582--wdir/we:ird,38%x.txt',
      { backend: 'WORM', size: 3, mtime: 1795505582, name: 'wdir/we:ird,38%x.txt' }],
    ['GPGHMACSHA1--50cad2aa96f697ca349650f7bf76e93197b691d5',
      { backend: 'GPGHMACSHA1', name: '50cad2aa96f697ca349650f7bf76e93197b691d5' }],
  ];
  for (const [text, key] of examples) {
    it(`parses and re-serializes ${text.slice(0, 40)}`, () => {
      assert.deepEqual(parseKey(text), key);
      assert.equal(formatKey(key), text);
    });
  }

  it('accepts what git-annex accepts at the edges: empty name, "-" in the name, -S without -C, a field-like name', () => {
    assert.deepEqual(parseKey('SHA256E-s12--'), { backend: 'SHA256E', size: 12, name: '' });
    assert.deepEqual(parseKey('SHA256E-s1---x-y'), { backend: 'SHA256E', size: 1, name: '-x-y' });
    assert.deepEqual(parseKey('SHA256E-S5--x'), { backend: 'SHA256E', chunkSize: 5, name: 'x' });
    assert.deepEqual(parseKey('SHA256E--s12--abc'), { backend: 'SHA256E', name: 's12--abc' });
    assert.deepEqual(parseKey(`SHA256-s1--x.${'0'.repeat(80)}`), { backend: 'SHA256', size: 1, name: `x.${'0'.repeat(80)}` });
    assert.deepEqual(parseKey(`SHA256E-s1--x.${'0'.repeat(63)}`)?.size, 1);
    assert.deepEqual(parseKey(`SHA256E-s${Number.MAX_SAFE_INTEGER}--x`)?.size, Number.MAX_SAFE_INTEGER);
  });

  const malformed: [string, string][] = [
    ['SHA256E-m5-s1--x', 'fields out of order'],
    ['SHA256E-C3-S5--x', 'chunk fields out of order'],
    ['SHA256E-s+12--x', 'leading +'],
    ['SHA256E-s-1--x', 'negative size'],
    ['SHA256E-s012--x', 'leading zero'],
    ['SHA256E-s--x', 'empty number'],
    ['SHA256E-s1x--y', 'non-numeric field'],
    ['SHA256E-s1-x--y', 'unknown field'],
    ['SHA256E-s1-s2--y', 'repeated field'],
    ['sha256e-s1--x', 'lower-case backend'],
    ['-s1--x', 'empty backend'],
    ['SHA256E', 'no fields and no name'],
    ['SHA256E-s1', 'no "--"'],
    ['SHA256E-s1--a\nb', 'line feed in the name'],
    [`SHA256E-s1--x.${'0'.repeat(64)}`, 'extension of 65 bytes'],
    [`FOOE-s1--x.${'0'.repeat(64)}`, 'over-long extension on an unknown ...E backend'],
    [`SHA256E-s1--x.${'é'.repeat(32)}`, 'extension of 65 bytes in UTF-8'],
    ['SHA256E-s9007199254740992--x', 'unsafe size'],
    ['SHA256E-s99999999999999999999999--x', 'huge size'],
    ['WORM-s1-m-5--x', 'negative mtime'],
  ];
  for (const [text, why] of malformed) {
    it(`rejects ${JSON.stringify(text.slice(0, 40))} (${why})`, () => {
      assert.equal(parseKey(text), undefined);
      assert.throws(() => parseKeyOrThrow(text), (e: unknown) => e instanceof BadKeyError && e.data.key === text);
    });
  }

  it('parseKeyOrThrow names the text, the reason and what it was', () => {
    assert.throws(() => parseKeyOrThrow('SHA256E-s+1--x', 'key in location log'), (e: unknown) => {
      assert.ok(e instanceof BadKeyError && e instanceof FerryError);
      assert.equal(e.code, 'BadKeyError');
      assert.match(e.message, /^bad key in location log "SHA256E-s\+1--x": the -s field/);
      assert.ok(e.hint);
      return true;
    });
  });

  it('formatKey refuses keys no parser would read back', () => {
    assert.throws(() => formatKey({ backend: 'SHA-256', name: 'x' }), BadKeyError);
    assert.throws(() => formatKey({ backend: 'SHA256', name: 'a\nb' }), BadKeyError);
    assert.throws(() => formatKey({ backend: 'SHA256', size: -1, name: 'x' }), BadKeyError);
    assert.throws(() => formatKey({ backend: 'SHA256', size: 1.5, name: 'x' }), BadKeyError);
    assert.throws(() => formatKey({ backend: 'SHA256', size: 2 ** 53, name: 'x' }), BadKeyError);
    assert.throws(() => formatKey({ backend: 'MD5E', name: `x.${'a'.repeat(64)}` }), BadKeyError);
  });

  it('chunk keys: chunkKey, nonChunkKey, isChunkKey', () => {
    const whole = parseKeyOrThrow(`SHA256E-s3000000--${BIN}.bin`);
    const c2 = chunkKey(whole, 1048576, 2);
    assert.equal(formatKey(c2), `SHA256E-s3000000-S1048576-C2--${BIN}.bin`);
    assert.ok(isChunkKey(c2));
    assert.ok(!isChunkKey(whole));
    assert.ok(!isChunkKey({ backend: 'SHA256E', chunkSize: 5, name: 'x' }));
    assert.deepEqual(nonChunkKey(c2), whole);
    assert.equal(nonChunkKey(whole), whole);
    assert.deepEqual(chunkKey(c2, 10, 3), { ...whole, chunkSize: 10, chunkNum: 3 });
  });

  const keyArb: fc.Arbitrary<Key> = fc.record({
    backend: fc.stringMatching(/^[A-Z0-9_]{1,12}$/),
    name: fc.string({ unit: fc.constantFrom('a', 'f', '0', '.', '-', '/', ':', '%', '&', ',', ' ', 'é', '日', '\r', '\u0000'), maxLength: 40 }),
    size: fc.maxSafeNat(),
    mtime: fc.maxSafeNat(),
    chunkSize: fc.maxSafeNat(),
    chunkNum: fc.maxSafeNat(),
  }, { requiredKeys: ['backend', 'name'], noNullPrototype: true })
    .filter((k) => !k.backend.endsWith('E') || !k.name.includes('.') || Buffer.byteLength(k.name.slice(k.name.indexOf('.'))) <= 64);

  it('parseKey(formatKey(k)) deep-equals k for generated keys', () => {
    fc.assert(fc.property(keyArb, (k) => {
      assert.deepEqual(parseKey(formatKey(k)), k);
    }), { numRuns: 2000 });
  });

  it('every accepted string is canonical: formatKey(parseKey(s)) === s', () => {
    const piece = fc.constantFrom('-', '--', 's', 'm', 'S', 'C', '0', '1', '12', 'x', '.', 'E', '+', '\n');
    fc.assert(fc.property(fc.constantFrom('SHA256E', 'WORM', 'X'), fc.array(piece, { maxLength: 12 }), (b, parts) => {
      const s = b + parts.join('');
      const k = parseKey(s);
      if (k !== undefined) assert.equal(formatKey(k), s);
    }), { numRuns: 5000 });
  });
});

describe('keys: extensions (annex-format.md §1.2)', () => {
  const table: [string, string][] = [
    ['a.txt', '.txt'], ['a.tar.gz', '.tar.gz'], ['a.b.c.d', '.c.d'], ['a.1.2.3', '.2.3'],
    ['foo.tar.bz2.gpg', '.bz2.gpg'], ['a.JPEG', '.JPEG'], ['a.jpeg5', ''], ['file.verylongextension', ''],
    ['x.tar.gz2', '.tar.gz2'], ['.bashrc', ''], ['.config.yml', '.yml'], ['x.b-c.gz', '.gz'],
    ['x.with space.gz', '.gz'], ['x.ab_c', ''], ['a..b', '.b'], ['a.', ''], ['x.é', '.é'], ['x.日本', ''],
    ['ünï.tëxt', ''],
    // Observed with git-annex 10.20230126 beyond the table: empty pieces count towards the two kept.
    ['a.b..c', '.c'], ['x.ab.', '.ab'], ['...', ''], ['x.日', '.日'], ['x.ÉA', '.ÉA'], ['noext', ''],
    ['dir.d/file', ''], ['dir/a.tar.gz', '.tar.gz'],
  ];
  for (const [file, ext] of table) {
    it(`${file} -> ${JSON.stringify(ext)}`, () => assert.equal(selectExtension(file), ext));
  }

  it('annex.maxextensionlength changes the limit, in bytes', () => {
    assert.equal(selectExtension('file.verylongextension', 20), '.verylongextension');
    assert.equal(selectExtension('x.日本', 6), '.日本');
    assert.equal(selectExtension('a.jpeg5', 5), '.jpeg5');
  });

  it('keyFromDigest appends the extension only for ...E backends, and leaves off one over 64 bytes', () => {
    const e = backendByName('SHA256E');
    assert.deepEqual(keyFromDigest(e, HELLO, 12, 'sub/hello.txt'), { backend: 'SHA256E', size: 12, name: `${HELLO}.txt` });
    assert.deepEqual(keyFromDigest(backendByName('SHA256'), HELLO, 12, 'hello.txt'), { backend: 'SHA256', size: 12, name: HELLO });
    const long = keyFromDigest(e, HELLO, 12, `x.${'a'.repeat(40)}.${'b'.repeat(40)}`, 50);
    assert.equal(long.name, HELLO);
    assert.equal(keyFromDigest(e, HELLO, 12, `x.${'a'.repeat(40)}`, 50).name, `${HELLO}.${'a'.repeat(40)}`);
  });
});

describe('keys: WORM names (annex-format.md §1.3)', () => {
  it('sanitizes the lab example', () => {
    assert.equal(wormName('wdir/we:ird&%x.txt'), 'wdir/we:ird,38%x.txt');
    assert.equal(formatKey(wormKey('wdir/we:ird&%x.txt', 3, 1795505582)), 'WORM-s3-m1795505582--wdir/we:ird,38%x.txt');
  });

  it('doubles commas, writes code points of other characters, keeps . - _ / % :', () => {
    assert.equal(wormName('é,x y.txt'), ',233,,x,32y.txt');
    assert.equal(wormName('a-b_c.d/e%f:g'), 'a-b_c.d/e%f:g');
    assert.equal(wormName('x.日'), 'x.,26085');
    assert.equal(wormName('a\nb'), 'a,10b');
  });

  it('shortens paths over 64 bytes (measured on the path, not the sanitized name) with an md5', () => {
    assert.equal(wormName('a'.repeat(64)), 'a'.repeat(64));
    assert.equal(wormName('a'.repeat(65)), `${'a'.repeat(31)}-c743a45e0d2e6a95cb859adae0248435`);
    assert.equal(wormName('&'.repeat(40)), ',38'.repeat(40));
    assert.equal(wormName('é'.repeat(33)), `${',233'.repeat(7)},23-077487916da57cf9188bbd0c5e604050`);
  });
});

describe('keys: keyFile (annex-format.md §1.4)', () => {
  it('escapes the lab example and reverses it', () => {
    assert.equal(keyFile('WORM-s3-m1795505582--wdir/we:ird,38%x.txt'), 'WORM-s3-m1795505582--wdir%we&cird,38&sx.txt');
    assert.equal(fileKey('WORM-s3-m1795505582--wdir%we&cird,38&sx.txt'), 'WORM-s3-m1795505582--wdir/we:ird,38%x.txt');
  });

  it('leaves keys without & % : / alone', () => {
    const k = `SHA256E-s12--${HELLO}.txt`;
    assert.equal(keyFile(k), k);
    assert.equal(fileKey(k), k);
  });

  it('escapes every & once any special character is present', () => {
    assert.equal(keyFile('URL--a&b'), 'URL--a&ab');
    assert.equal(keyFile('URL--http&c%%ex&a.com%x'), 'URL--http&ac&s&sex&aa.com&sx');
  });

  it('undoes unknown escapes as git-annex does', () => {
    assert.equal(fileKey('a&xb'), 'axb');
    assert.equal(fileKey('a&'), 'a');
    assert.equal(fileKey('a&&ab'), 'a&b');
    assert.equal(fileKey('a&%b'), 'a/b');
  });

  it('fileKey inverts keyFile for any string', () => {
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom('&', '%', ':', '/', 'a', 'c', 's', '-', 'é') }), (s) => {
      assert.equal(fileKey(keyFile(s)), s);
      assert.ok(!keyFile(s).includes('/'));
      assert.ok(!keyFile(s).includes(':'));
    }), { numRuns: 2000 });
  });
});

describe('keys: hash directories (annex-format.md §1.5)', () => {
  const table: [string, string, string][] = [
    [`SHA256E-s0--${EMPTY}`, 'pX/ZJ', 'f87/4d5'],
    [`SHA256E-s12--${HELLO}.txt`, 'J7/0G', 'e7d/d01'],
    [`SHA256E-s3000000--${BIN}.bin`, '0k/J3', '0e3/05c'],
    [`SHA256E-s3000000-S1048576-C2--${BIN}.bin`, '0k/J3', '0e3/05c'],
    ['GPGHMACSHA1--50cad2aa96f697ca349650f7bf76e93197b691d5', 'jX/w1', '181/346'],
    ['WORM-s3-m1795505582--wdir/we:ird,38%x.txt', 'z7/KG', 'a7d/2e5'],
  ];
  for (const [key, mixed, lower] of table) {
    it(`${key.slice(0, 40)} -> ${mixed} ${lower}`, () => {
      assert.equal(hashDirMixed(key), mixed);
      assert.equal(hashDirLower(key), lower);
    });
  }

  it('every chunk of a key hashes like the key', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 2 ** 40 }), fc.integer({ min: 1, max: 10000 }), (size, n) => {
      const whole = `SHA256E-s3000000--${BIN}.bin`;
      const c = formatKey(chunkKey(parseKeyOrThrow(whole), size, n));
      assert.equal(hashDirLower(c), hashDirLower(whole));
      assert.equal(hashDirMixed(c), hashDirMixed(whole));
    }));
  });

  it('throws BadKeyError for a string that is not a key', () => {
    assert.throws(() => hashDirLower('not a key'), BadKeyError);
  });
});

describe('keys: backends', () => {
  it('SHA256E is the default and every listed backend is known', () => {
    assert.equal(DEFAULT_BACKEND, 'SHA256E');
    assert.equal(knownBackends()[0]?.name, 'SHA256E');
    for (const b of knownBackends()) assert.ok(isKnownBackend(b.name));
    assert.ok(!isKnownBackend('SKEIN256'));
    assert.equal(backendByName('WORM').stable, false);
    assert.equal(backendByName('URL').stable, false);
    assert.equal(backendByName('MD5E').hash, 'md5');
  });

  it('an unknown backend is an UnknownBackendError whose hint lists the usable ones', () => {
    assert.throws(() => backendByName('SHA257E'), (e: unknown) => {
      assert.ok(e instanceof UnknownBackendError);
      assert.deepEqual(e.data, { backend: 'SHA257E' });
      assert.match(e.hint ?? '', /SHA256E, SHA256, .*WORM/);
      assert.doesNotMatch(e.hint ?? '', /URL/);
      return true;
    });
  });

  it('digestOfKey is the name up to the first dot, for hash keys only', () => {
    assert.equal(digestOfKey(parseKeyOrThrow(`SHA256E-s12--${HELLO}.txt`)), HELLO);
    assert.equal(digestOfKey(parseKeyOrThrow(`SHA256E-s12--${HELLO}.tar.gz`)), HELLO);
    assert.equal(digestOfKey(parseKeyOrThrow(`SHA256-s12--${HELLO}`)), HELLO);
    assert.equal(digestOfKey(parseKeyOrThrow('WORM-s3-m1--x.txt')), undefined);
    assert.equal(digestOfKey(parseKeyOrThrow('URL--http&c%%x')), undefined);
    assert.equal(digestOfKey(parseKeyOrThrow('SKEIN256E-s1--abc.txt')), undefined);
  });
});

describe('keys: hashing files', () => {
  let dir = '';
  const file = (name: string, content: string | Buffer): string => {
    const p = join(dir, name);
    writeFileSync(p, content);
    return p;
  };
  // Deterministic bytes, more than one read block (1 MiB) of the large-file path.
  const bytes = (n: number, seed = 1): Buffer => {
    const b = Buffer.alloc(n);
    let x = seed;
    for (let i = 0; i < n; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      b[i] = x >>> 24;
    }
    return b;
  };
  const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ferry-keys-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('hello.txt gets the key of §1.1', async () => {
    const p = file('hello.txt', 'hello world\n');
    const { key, stat } = await keyForFile(p, 'sub/hello.txt');
    assert.equal(formatKey(key), `SHA256E-s12--${HELLO}.txt`);
    assert.equal(stat.size, 12);
    assert.ok(stat.isFile());
  });

  it('an empty file gets the empty-content key without extension', async () => {
    const p = file('empty', '');
    assert.equal(formatKey((await keyForFile(p, 'empty')).key), `SHA256E-s0--${EMPTY}`);
  });

  for (const size of [64 * 1024 - 1, 64 * 1024, 64 * 1024 + 1, 1024 * 1024, 3 * 1024 * 1024 + 17]) {
    it(`a ${size}-byte file hashes like createHash over its bytes`, async () => {
      const b = bytes(size, size);
      const p = file(`f${size}.bin`, b);
      const progress: number[] = [];
      const r = await hashFile(p, 'sha256', { onProgress: (n) => progress.push(n) });
      assert.equal(r.digest, sha256(b));
      assert.equal(r.stat.size, size);
      assert.equal(progress.at(-1), size);
      assert.deepEqual(progress, [...progress].sort((x, y) => x - y));
    });
  }

  it('other backends use their own digest and extension rule', async () => {
    const p = file('x.tar.gz', 'abc');
    assert.equal(formatKey((await keyForFile(p, 'x.tar.gz', 'MD5E')).key), 'MD5E-s3--900150983cd24fb0d6963f7d28e17f72.tar.gz');
    assert.equal(formatKey((await keyForFile(p, 'x.tar.gz', 'SHA1')).key), 'SHA1-s3--a9993e364706816aba3e25717850c26c9cd0d89d');
    assert.equal(formatKey((await keyForFile(p, 'x.verylong', 'SHA256E', { maxExtensionLength: 8 })).key),
      `SHA256E-s3--${sha256('abc')}.verylong`);
  });

  it('WORM keys carry size, whole-second mtime and the sanitized relative path', async () => {
    const p = file('w&x.txt', 'abc');
    utimesSync(p, 1795505582.75, 1795505582.999999);
    const { key } = await keyForFile(p, 'd/w&x.txt', 'WORM');
    assert.equal(formatKey(key), 'WORM-s3-m1795505582--d/w,38x.txt');
  });

  it('URL cannot make a key from a file; an unknown backend is refused before reading', async () => {
    const p = file('u', 'abc');
    await assert.rejects(keyForFile(p, 'u', 'URL'), UnusableBackendError);
    await assert.rejects(keyForFile(p, 'u', 'NOPE'), UnknownBackendError);
  });

  it('a file that grows while it is hashed is a FileChangedError, not a wrong key', async () => {
    const p = file('grow.bin', bytes(3 * 1024 * 1024));
    await assert.rejects(
      keyForFile(p, 'grow.bin', DEFAULT_BACKEND, { onProgress: () => appendFileSync(p, 'more') }),
      (e: unknown) => e instanceof FileChangedError && e.data.path === p && e.data.reason === 'changed' && /changed/.test(e.message),
    );
  });

  it('a file that shrinks while it is hashed is a FileChangedError', async () => {
    const p = file('shrink.bin', bytes(3 * 1024 * 1024));
    let first = true;
    const onProgress = (): void => {
      if (first) truncateSync(p, 1024);
      first = false;
    };
    await assert.rejects(keyForFile(p, 'shrink.bin', DEFAULT_BACKEND, { onProgress }), FileChangedError);
  });

  it('a small file rewritten in place while it is hashed is a FileChangedError', async () => {
    const p = file('small.txt', 'abcd');
    await assert.rejects(
      hashFile(p, 'sha256', { onProgress: () => writeFileSync(p, 'abcdefgh') }),
      (e: unknown) => e instanceof FileChangedError && e.data.reason === 'changed',
    );
  });

  it('a file replaced by rename while it is hashed is a FileChangedError', async () => {
    const p = file('replaced.txt', 'old');
    const q = file('replacement.txt', 'new');
    await assert.rejects(hashFile(p, 'sha256', { onProgress: () => renameSync(q, p) }),
      (e: unknown) => e instanceof FileChangedError && e.data.reason === 'changed');
  });

  it('a file deleted while it is hashed vanished', async () => {
    const p = file('gone.bin', bytes(2 * 1024 * 1024 + 5));
    await assert.rejects(hashFile(p, 'sha256', { onProgress: () => rmSync(p, { force: true }) }),
      (e: unknown) => e instanceof FileChangedError && e.data.reason === 'vanished' && /vanished/.test(e.message));
  });

  it('an error thrown by onProgress reaches the caller untouched', async () => {
    const p = file('cb.bin', bytes(2 * 1024 * 1024));
    const boom = new Error('boom');
    await assert.rejects(hashFile(p, 'sha256', { onProgress: () => { throw boom; } }), (e: unknown) => e === boom);
  });

  it('a file missing at open vanished', async () => {
    await assert.rejects(keyForFile(join(dir, 'never-there'), 'never-there'),
      (e: unknown) => e instanceof FileChangedError && e.data.reason === 'vanished');
  });

  it('a directory is not hashed', async () => {
    const d = join(dir, 'adir');
    mkdirSync(d);
    await assert.rejects(hashFile(d, 'sha256'), FileSystemError);
  });

  it('an aborted signal stops hashing with its reason', async () => {
    const p = file('abort.bin', bytes(3 * 1024 * 1024));
    const ac = new AbortController();
    await assert.rejects(hashFile(p, 'sha256', { signal: ac.signal, onProgress: () => ac.abort(new Error('stop')) }), /stop/);
    await assert.rejects(hashFile(p, 'sha256', { signal: AbortSignal.abort() }), { name: 'AbortError' });
  });

  it('concurrent hashes of many files give each its own digest', async () => {
    const names = Array.from({ length: 40 }, (_, i) => `c${i}`);
    const contents = names.map((n, i) => (i % 5 === 0 ? bytes(1024 * 1024 + i, i) : Buffer.from(`${n}\n`.repeat(i + 1))));
    const paths = names.map((n, i) => file(n, contents[i]!));
    const digests = await Promise.all(paths.map(async (p) => (await hashFile(p, 'sha256')).digest));
    assert.deepEqual(digests, contents.map((c) => sha256(c)));
  });

  it('sameFileState compares size, mtime, ctime and inode', () => {
    const p = file('s.txt', 'a');
    const a = statSync(p);
    assert.ok(sameFileState(a, statSync(p)));
    utimesSync(p, 1, 1);
    assert.ok(!sameFileState(a, statSync(p)));
  });

  describe('verifyKey', () => {
    it('accepts the right content and refuses other content or size', async () => {
      const p = file('v.txt', 'hello world\n');
      const key = parseKeyOrThrow(`SHA256E-s12--${HELLO}.txt`);
      assert.equal(await verifyKey(key, p), true);
      assert.equal(await verifyKey(parseKeyOrThrow(`SHA256E-s12--${'0'.repeat(64)}.txt`), p), false);
      assert.equal(await verifyKey(parseKeyOrThrow(`SHA256E-s13--${HELLO}.txt`), p), false);
      assert.equal(await verifyKey(parseKeyOrThrow(`SHA256-s12--\\${HELLO}`), p), true);
      writeFileSync(p, 'hello world?');
      assert.equal(await verifyKey(key, p), false);
    });

    it('checks only the size of WORM and URL keys', async () => {
      const p = file('vw.txt', 'abc');
      assert.equal(await verifyKey(parseKeyOrThrow('WORM-s3-m1--other'), p), true);
      assert.equal(await verifyKey(parseKeyOrThrow('WORM-s4-m1--other'), p), false);
      assert.equal(await verifyKey(parseKeyOrThrow('URL--http&c%%x'), p), true);
    });

    it('refuses chunk keys and backends ferry cannot hash', async () => {
      const p = file('vc.txt', 'abc');
      await assert.rejects(verifyKey(parseKeyOrThrow(`SHA256E-s3-S1-C1--${HELLO}`), p), BadKeyError);
      await assert.rejects(verifyKey(parseKeyOrThrow('SKEIN256-s3--abc'), p), UnknownBackendError);
    });
  });
});
