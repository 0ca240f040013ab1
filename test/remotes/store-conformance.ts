// The Store conformance suite (STYLE 3): one case per behaviour promised by the contract comments of
// src/remotes/store/store.ts, run against every backend and wrapper. A backend's test file calls
// runStoreConformance with a factory and, where it cannot do something, a skip whose value is the reason.
// Each case works under a fresh random prefix, so a factory may hand out stores sharing one medium.
import assert from 'node:assert/strict';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import { StoreNotFoundError } from '../../src/remotes/store/index.js';
import type { PutSource, Store, StoreEntry } from '../../src/remotes/store/index.js';
import { bytes } from '../helpers/repo.js';
import { tempDir } from '../helpers/tmp.js';

interface CaseContext {
  readonly store: Store;
  /** A prefix no other case uses, ending in '/'. */
  readonly p: string;
  readonly t: TestContext;
}

type Case = (c: CaseContext) => Promise<void>;

const MiB = 1 << 20;

const cases = {
  'put and get a whole file (path source)': async ({ store, p, t }) => {
    // A small file, and one large enough for a backend's whole-file fast path (the kernel's copy).
    for (const [i, size] of [100_000, 12 * MiB + 7].entries()) {
      const data = bytes(1 + i, size);
      const file = join(await tempDir(t), 'src');
      await writeFile(file, data);
      let reported = 0;
      await store.put(`${p}obj${i}`, { path: file }, { progress: (b) => { reported = b; } });
      assert.ok((await getAll(store, `${p}obj${i}`)).equals(data), `${size} bytes intact`);
      assert.equal((await store.stat(`${p}obj${i}`))?.size, data.length);
      assert.equal(reported, size, 'progress ends at the size');
    }
  },

  'put and get part of a file (path source with offset and size)': async ({ store, p, t }) => {
    const data = bytes(2, 70_150);
    const file = join(await tempDir(t), 'src');
    await writeFile(file, data);
    await store.put(`${p}middle`, { path: file, offset: 100, size: 70_000 });
    await store.put(`${p}tail`, { path: file, offset: 70_000 });
    assert.deepEqual(await getAll(store, `${p}middle`), data.subarray(100, 70_100));
    assert.deepEqual(await getAll(store, `${p}tail`), data.subarray(70_000));
  },

  'put and get bytes': async ({ store, p }) => {
    const data = bytes(3, 5_000);
    await store.put(`${p}obj`, { bytes: data });
    assert.deepEqual(await getAll(store, `${p}obj`), data);
  },

  'put and get a stream (open source, with and without its size)': async ({ store, p }) => {
    const data = bytes(4, 300_000);
    const chunks = [data.subarray(0, 1), data.subarray(1, 65_537), data.subarray(65_537)];
    await store.put(`${p}sized`, { open: () => Readable.from(chunks), size: data.length });
    await store.put(`${p}unsized`, { open: () => Readable.from(chunks) });
    assert.deepEqual(await getAll(store, `${p}sized`), data);
    assert.deepEqual(await getAll(store, `${p}unsized`), data);
  },

  'an empty object, from each source form': async ({ store, p, t }) => {
    const file = join(await tempDir(t), 'empty');
    await writeFile(file, '');
    await store.put(`${p}bytes`, { bytes: new Uint8Array(0) });
    await store.put(`${p}path`, { path: file });
    await store.put(`${p}open`, { open: () => Readable.from([]), size: 0 });
    for (const n of ['bytes', 'path', 'open']) {
      assert.equal((await getAll(store, `${p}${n}`)).length, 0, n);
      assert.equal((await store.stat(`${p}${n}`))?.size, 0, n);
    }
    assert.deepEqual((await listAll(store, p)).map((e) => [e.name, e.size]), [[`${p}bytes`, 0], [`${p}open`, 0], [`${p}path`, 0]]);
  },

  'a 20 MiB object streams through intact (compared by hash)': async ({ store, p }) => {
    const size = 20 * MiB + 12_345;
    await store.put(`${p}big`, { open: () => generated(7, size), size });
    assert.equal((await store.stat(`${p}big`))?.size, size);
    assert.equal(await hashOf(await store.get(`${p}big`)), await hashOf(generated(7, size)));
  },

  'put replaces an existing object': async ({ store, p }) => {
    await store.put(`${p}obj`, { bytes: bytes(5, 10_000) });
    const second = bytes(6, 777);
    await store.put(`${p}obj`, { bytes: second });
    assert.deepEqual(await getAll(store, `${p}obj`), second);
    assert.deepEqual((await listAll(store, p)).map((e) => [e.name, e.size]), [[`${p}obj`, 777]]);
  },

  'ranged get from an offset': async ({ store, p }) => {
    const data = bytes(8, 10_000);
    await store.put(`${p}obj`, { bytes: data });
    assert.deepEqual(await getAll(store, `${p}obj`, { offset: 1234 }), data.subarray(1234));
    assert.deepEqual(await getAll(store, `${p}obj`, { offset: 0 }), data);
  },

  'ranged get of an offset and a length': async ({ store, p }) => {
    const data = bytes(9, 10_000);
    await store.put(`${p}obj`, { bytes: data });
    assert.deepEqual(await getAll(store, `${p}obj`, { offset: 1000, length: 500 }), data.subarray(1000, 1500));
    assert.deepEqual(await getAll(store, `${p}obj`, { length: 1 }), data.subarray(0, 1));
    assert.deepEqual(await getAll(store, `${p}obj`, { offset: 9_999, length: 1 }), data.subarray(9_999));
    assert.equal((await getAll(store, `${p}obj`, { offset: 10, length: 0 })).length, 0);
  },

  'ranged get at an offset equal to the size is empty': async ({ store, p }) => {
    await store.put(`${p}obj`, { bytes: bytes(10, 4096) });
    assert.equal((await getAll(store, `${p}obj`, { offset: 4096 })).length, 0);
    assert.equal((await getAll(store, `${p}obj`, { offset: 4096, length: 10 })).length, 0);
  },

  'ranged get past the end is cut at the end, not an error': async ({ store, p }) => {
    const data = bytes(11, 10_000);
    await store.put(`${p}obj`, { bytes: data });
    assert.deepEqual(await getAll(store, `${p}obj`, { offset: 9_990, length: 100 }), data.subarray(9_990));
    assert.deepEqual(await getAll(store, `${p}obj`, { length: 1_000_000 }), data);
    assert.equal((await getAll(store, `${p}obj`, { offset: 20_000 })).length, 0);
  },

  'get of an absent object rejects with StoreNotFoundError': async ({ store, p }) => {
    await assert.rejects(store.get(`${p}never`), StoreNotFoundError);
    await assert.rejects(store.get(`${p}never/nested`, { offset: 5 }), StoreNotFoundError);
    await store.put(`${p}gone`, { bytes: bytes(12, 10) });
    await store.delete(`${p}gone`);
    await assert.rejects(store.get(`${p}gone`), StoreNotFoundError);
  },

  'stat of an absent object is undefined': async ({ store, p }) => {
    assert.equal(await store.stat(`${p}never`), undefined);
    assert.equal(await store.stat(`${p}never/nested/deeper`), undefined);
    await store.put(`${p}dir/obj`, { bytes: bytes(13, 10) });
    assert.equal(await store.stat(`${p}dir`), undefined, 'a prefix of an object is not an object');
  },

  'stat gives the size; the etag is stable, and changes when the object is replaced': async ({ store, p }) => {
    await store.put(`${p}obj`, { bytes: bytes(14, 5) });
    const first = await store.stat(`${p}obj`);
    assert.equal(first?.size, 5);
    assert.ok(first.etag !== '');
    assert.equal((await store.stat(`${p}obj`))?.etag, first.etag);
    await store.put(`${p}obj`, { bytes: bytes(15, 5) });
    const second = await store.stat(`${p}obj`);
    assert.equal(second?.size, 5);
    assert.notEqual(second.etag, first.etag);
    await store.put(`${p}obj`, { bytes: bytes(16, 9) });
    assert.equal((await store.stat(`${p}obj`))?.size, 9);
  },

  'delete removes the object and is idempotent': async ({ store, p }) => {
    await store.put(`${p}a/obj`, { bytes: bytes(17, 100) });
    await store.put(`${p}a/other`, { bytes: bytes(18, 100) });
    await store.delete(`${p}a/obj`);
    assert.equal(await store.stat(`${p}a/obj`), undefined);
    await store.delete(`${p}a/obj`);
    await store.delete(`${p}never/was`);
    assert.deepEqual((await listAll(store, p)).map((e) => e.name), [`${p}a/other`]);
    await store.delete(`${p}a/other`);
    assert.deepEqual(await listAll(store, p), []);
    await store.put(`${p}a/obj`, { bytes: bytes(19, 3) });
    assert.equal((await store.stat(`${p}a/obj`))?.size, 3, 'a name can be put again after its neighbours went');
  },

  'list takes a plain string prefix, not a directory': async ({ store, p }) => {
    const names = ['ab', 'abc', 'abd/x', 'a/b', 'b', 'ba/ab'];
    await Promise.all(names.map((n, i) => store.put(`${p}${n}`, { bytes: bytes(20 + i, i + 1) })));
    const listed = async (prefix: string) => (await listAll(store, `${p}${prefix}`)).map((e) => e.name.slice(p.length));
    assert.deepEqual(await listed('ab'), ['ab', 'abc', 'abd/x']);
    assert.deepEqual(await listed('a'), ['a/b', 'ab', 'abc', 'abd/x']);
    assert.deepEqual(await listed('a/'), ['a/b']);
    assert.deepEqual(await listed('abd/'), ['abd/x']);
    assert.deepEqual(await listed('abd/x'), ['abd/x']);
    assert.deepEqual(await listed(''), [...names].sort());
    assert.deepEqual(await listed('zz'), []);
    assert.deepEqual(await listed('ba/a'), ['ba/ab']);
    assert.deepEqual(await listAll(store, p.slice(0, -1) + '-other'), []);
  },

  'list finds nested names, spaces and unicode, with sizes and etags, and nothing else': async ({ store, p }) => {
    const names = ['dir one/file two.txt', 'ünï/cödé ✓', 'deep/a/b/c/d/e', 'x y', 'emoji 📦'];
    await Promise.all(names.map((n, i) => store.put(`${p}${n}`, { bytes: bytes(30 + i, 10 * i) })));
    const entries = await listAll(store, p);
    assert.deepEqual(entries.map((e) => [e.name.slice(p.length), e.size]), names.map((n, i): [string, number] => [n, 10 * i]).sort(byFirst));
    for (const e of entries) assert.equal(e.etag, (await store.stat(e.name))?.etag, e.name);
    assert.deepEqual((await listAll(store, `${p}ünï/`)).map((e) => e.name), [`${p}ünï/cödé ✓`]);
  },

  'a put whose source fails midway leaves nothing visible': async ({ store, p }) => {
    const source = { open: () => failingStream(bytes(40, 2 * MiB), MiB) };
    await assert.rejects(store.put(`${p}obj`, source));
    await assert.rejects(store.get(`${p}obj`), StoreNotFoundError);
    assert.equal(await store.stat(`${p}obj`), undefined);
    assert.deepEqual(await listAll(store, p), []);
  },

  'a failed replace leaves the previous object whole': async ({ store, p }) => {
    const old = bytes(41, 300_000);
    await store.put(`${p}obj`, { bytes: old });
    await assert.rejects(store.put(`${p}obj`, { open: () => failingStream(bytes(42, 2 * MiB), MiB) }));
    assert.deepEqual(await getAll(store, `${p}obj`), old);
  },

  'an aborted put rejects and leaves nothing visible': async ({ store, p }) => {
    const before = new AbortController();
    before.abort();
    await assert.rejects(store.put(`${p}early`, { bytes: bytes(43, 10) }, { signal: before.signal }));
    const during = new AbortController();
    const data = bytes(44, 4 * MiB);
    const open = () => Readable.from((function* () {
      for (let off = 0; off < data.length; off += MiB) {
        if (off === 2 * MiB) during.abort();
        yield data.subarray(off, off + MiB);
      }
    })());
    await assert.rejects(store.put(`${p}late`, { open, size: data.length }, { signal: during.signal }));
    assert.equal(await store.stat(`${p}early`), undefined);
    assert.equal(await store.stat(`${p}late`), undefined);
    assert.deepEqual(await listAll(store, p), []);
  },

  'a put retried with the same re-openable source succeeds': async ({ store, p }) => {
    const data = bytes(45, 3 * MiB);
    let opens = 0;
    const source: PutSource = { open: () => (++opens === 1 ? failingStream(data, MiB) : Readable.from([data])), size: data.length };
    await assert.rejects(store.put(`${p}obj`, source));
    await store.put(`${p}obj`, source);
    assert.ok(opens >= 2);
    assert.deepEqual(await getAll(store, `${p}obj`), data);
  },

  'flush resolves, with or without puts, also when called concurrently': async ({ store, p }) => {
    await store.flush();
    const data = [bytes(46, 100), bytes(47, 200), bytes(48, 0)];
    await Promise.all(data.map((d, i) => store.put(`${p}n${i}/obj`, { bytes: d })));
    await Promise.all([store.flush(), store.flush()]);
    await store.flush();
    for (const [i, d] of data.entries()) assert.deepEqual(await getAll(store, `${p}n${i}/obj`), d);
  },

  'concurrent puts of different names all land': async ({ store, p }) => {
    const data = Array.from({ length: 24 }, (_, i) => bytes(100 + i, 1000 + i * 4096));
    await Promise.all(data.map((d, i) => store.put(`${p}${i % 3}/obj${i}`, i % 2 ? { bytes: d } : { open: () => Readable.from([d]) })));
    for (const [i, d] of data.entries()) assert.deepEqual(await getAll(store, `${p}${i % 3}/obj${i}`), d);
    assert.equal((await listAll(store, p)).length, data.length);
  },

  'progress reports bytes sent, ending at the size': async ({ store, p, t }) => {
    const data = bytes(49, 3 * MiB + 5);
    const file = join(await tempDir(t), 'src');
    await writeFile(file, data);
    const chunks = Array.from({ length: Math.ceil(data.length / 65_536) }, (_, i) => data.subarray(i * 65_536, (i + 1) * 65_536));
    const sources: PutSource[] = [{ path: file }, { bytes: data }, { open: () => Readable.from(chunks), size: data.length }];
    for (const [i, source] of sources.entries()) {
      const seen: number[] = [];
      await store.put(`${p}obj${i}`, source, { progress: (n) => seen.push(n) });
      assert.equal(seen.at(-1), data.length, `source form ${i}`);
      assert.ok(seen.every((n) => n >= 0 && n <= data.length), `source form ${i}`);
    }
  },

  'a reader during a replace sees the old or the new bytes, never a mix': async ({ store, p, t }) => {
    if (!store.capabilities.atomicReplace) {
      t.skip('capabilities.atomicReplace is false');
      return;
    }
    const versions = [bytes(50, 2 * MiB), bytes(51, 2 * MiB), bytes(52, MiB)].map((b) => ({ b, h: sha256(b) }));
    await store.put(`${p}obj`, { bytes: versions[0]!.b });
    const reads: Promise<Buffer | undefined>[] = [];
    for (let round = 1; round <= 6; round++) {
      reads.push(getAll(store, `${p}obj`), getAll(store, `${p}obj`, { offset: 0 }));
      await store.put(`${p}obj`, { bytes: versions[round % versions.length]!.b });
    }
    for (const read of await Promise.all(reads)) assert.ok(versions.some((v) => v.h === sha256(read!)), 'a read saw a mix of versions');
  },

  'an aborted get ends its stream with an error': async ({ store, p }) => {
    await store.put(`${p}obj`, { open: () => generated(53, 8 * MiB), size: 8 * MiB });
    const ac = new AbortController();
    const stream = await store.get(`${p}obj`, { signal: ac.signal });
    let received = 0;
    await assert.rejects(async () => {
      for await (const chunk of stream as AsyncIterable<Uint8Array>) {
        received += chunk.length;
        ac.abort();
      }
    });
    assert.ok(received < 8 * MiB);
  },
} satisfies Record<string, Case>;

export type StoreCase = keyof typeof cases;

export interface ConformanceOptions {
  /** Cases this implementation cannot pass, each with the reason (STYLE 3: `grep reason:` lists deviations). */
  readonly skip?: Partial<Record<StoreCase, string>>;
}

/** Registers the suite: `factory` gives a store for one case; the suite closes it when the case ends. */
export function runStoreConformance(name: string, factory: (t: TestContext) => Promise<Store>, opts: ConformanceOptions = {}): void {
  describe(`Store conformance: ${name}`, () => {
    for (const [caseName, run] of Object.entries(cases) as [StoreCase, Case][]) {
      const reason = opts.skip?.[caseName];
      test(caseName, reason === undefined ? {} : { skip: `reason: ${reason}` }, async (t) => {
        const store = await factory(t);
        try {
          await run({ store, p: `case-${randomBytes(4).toString('hex')}/`, t });
        } finally {
          await store.close();
        }
      });
    }
  });
}

async function getAll(store: Store, name: string, opts?: { offset?: number; length?: number }): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of (await store.get(name, opts)) as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

async function listAll(store: Store, prefix: string): Promise<StoreEntry[]> {
  const out: StoreEntry[] = [];
  for await (const e of store.list(prefix)) out.push(e);
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function byFirst(a: [string, number], b: [string, number]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function hashOf(stream: Readable): Promise<string> {
  const h = createHash('sha256');
  for await (const c of stream as AsyncIterable<Uint8Array>) h.update(c);
  return h.digest('hex');
}

/** `size` deterministic pseudo-random bytes (AES-CTR of zeros keyed by the seed), made as they are read. */
export function generated(seed: number, size: number): Readable {
  const key = createHash('sha256').update(`store conformance ${seed}`).digest().subarray(0, 16);
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(MiB);
  let left = size;
  return new Readable({
    read() {
      if (left === 0) {
        this.push(null);
        return;
      }
      const n = Math.min(left, zeros.length);
      left -= n;
      this.push(cipher.update(zeros.subarray(0, n)));
    },
  });
}

/** A stream that gives the first `failAt` bytes of `data` and then fails, as a broken source would. */
function failingStream(data: Uint8Array, failAt: number): Readable {
  return Readable.from((function* () {
    yield data.subarray(0, failAt);
    throw new Error('the source broke midway');
  })());
}
