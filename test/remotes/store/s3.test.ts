// S3Store against s3rver on loopback: the conformance suite with and without a fileprefix, then what only
// S3 has: bucket creation, multipart upload and its resume after kill -9, error classification.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { S3Store } from '../../../src/remotes/store/s3.js';
import type { S3StoreOptions } from '../../../src/remotes/store/s3.js';
import { StoreNotFoundError, StorePermanentError, StoreTransientError } from '../../../src/remotes/store/store.js';
import { start } from '../../helpers/run.js';
import { tempDir } from '../../helpers/tmp.js';
import { startS3rver } from '../../servers/s3rver.js';
import type { S3rverServer } from '../../servers/s3rver.js';
import { generated, runStoreConformance } from '../store-conformance.js';

const MiB = 1 << 20;
const childScript = fileURLToPath(new URL('./s3-put-child.js', import.meta.url));

function storeOn(server: S3rverServer, bucket: string, opts: Partial<S3StoreOptions> = {}): S3Store {
  return new S3Store({
    bucket, host: server.host, port: server.port, protocol: 'http', pathStyle: true, credentials: server.credentials, ...opts,
  });
}

// One server for the conformance cases (each works under its own random prefix), stopped when the file ends
// (node:test's after() called inside a case would bind to that case, so the hooks are collected here).
const fileEnd: (() => unknown)[] = [];
after(async () => { for (const fn of fileEnd) await fn(); });
let shared: Promise<S3rverServer> | undefined;
const sharedServer = () => (shared ??= startS3rver({ after: (fn) => fileEnd.push(fn) }, { bucket: 'conformance' }));

runStoreConformance('S3 (s3rver)', async () => storeOn(await sharedServer(), 'conformance'));
runStoreConformance('S3 (s3rver) with a fileprefix', async () => storeOn(await sharedServer(), 'conformance', { prefix: 'pre/fix-' }));

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

async function sha256(stream: Readable): Promise<string> {
  const h = createHash('sha256');
  for await (const c of stream as AsyncIterable<Buffer>) h.update(c);
  return h.digest('hex');
}

async function generatedFile(dir: string, seed: number, size: number): Promise<string> {
  const file = join(dir, `gen-${seed}`);
  await pipeline(generated(seed, size), createWriteStream(file));
  return file;
}

test('names are fileprefix + name, unescaped, and list strips the prefix', async (t) => {
  const server = await startS3rver(t, { bucket: 'b' });
  const store = storeOn(server, 'b', { prefix: 'pre/fix-' });
  const bare = storeOn(server, 'b');
  t.after(() => Promise.all([store.close(), bare.close()]));
  await store.put('SHA256E-s3--abc.txt', { bytes: Buffer.from('hey') });
  assert.deepEqual((await readAll(await bare.get('pre/fix-SHA256E-s3--abc.txt'))).toString(), 'hey');
  const listed = [];
  for await (const e of store.list('SHA256E')) listed.push(e.name);
  assert.deepEqual(listed, ['SHA256E-s3--abc.txt']);
});

test('ensureBucket creates a missing bucket (us-east-1, no LocationConstraint) and accepts an existing one', async (t) => {
  const server = await startS3rver(t);
  const store = storeOn(server, 'made-by-ferry', { datacenter: 'US' });
  t.after(() => store.close());
  await assert.rejects(store.put('x', { bytes: Buffer.from('1') }), (err: unknown) => {
    assert.ok(err instanceof StorePermanentError);
    assert.match(err.message, /bucket made-by-ferry does not exist/);
    return true;
  });
  await store.ensureBucket();
  await store.ensureBucket();
  await store.put('x', { bytes: Buffer.from('1') });
  assert.equal((await store.stat('x'))?.size, 1);
});

test('a 40 MiB source goes up in 5 MiB parts and comes back intact, also by ranges across parts', async (t) => {
  const server = await startS3rver(t, { bucket: 'b' });
  const store = storeOn(server, 'b', { partSize: 5 * MiB, prefix: 'p-' });
  t.after(() => store.close());
  const size = 40 * MiB + 123;
  const file = await generatedFile(await tempDir(t), 61, size);
  const seen: number[] = [];
  await store.put('big', { path: file }, { progress: (n) => seen.push(n) });
  // Sent four at a time, so the server may store them in any order.
  assert.deepEqual(server.partsReceived.map((p) => `${p.key} ${p.part}`).sort(), Array.from({ length: 9 }, (_, i) => `p-big ${i + 1}`).sort());
  assert.equal(seen.at(-1), size);
  assert.equal((await store.stat('big'))?.size, size);
  assert.equal(await sha256(await store.get('big')), await sha256(generated(61, size)));
  const whole = await readAll(generated(61, size));
  const at = 5 * MiB - 10;
  assert.deepEqual(await readAll(await store.get('big', { offset: at, length: 20 })), whole.subarray(at, at + 20));
  assert.deepEqual(await readAll(await store.get('big', { offset: size - 5 })), whole.subarray(size - 5));
});

/**
 * Puts NAME (generated(SEED, SIZE), in parts of PART_SIZE) into bucket 'b' from a child process whose source
 * stalls after PARTS parts, and kills it with SIGKILL once the server has them: an upload left unfinished.
 */
async function killUploadAfter(server: S3rverServer, o: { name: string; seed: number; size: number; partSize: number; parts: number }): Promise<void> {
  const child = start(process.cwd(), process.execPath, [
    childScript, server.endpoint, 'b', o.name, String(o.seed), String(o.size), String(o.partSize), String(o.parts * o.partSize),
  ], { expect: [] });
  await Promise.race([
    server.waitForParts(o.parts),
    child.done.then((r) => { throw new Error(`the uploader ended before sending ${o.parts} parts: ${r.stdout} ${r.stderr}`); }),
  ]);
  child.child.kill('SIGKILL');
  await child.done;
}

test('an upload killed with SIGKILL mid-way resumes: only the parts the server lacks are sent again', async (t) => {
  const server = await startS3rver(t, { bucket: 'b' });
  const size = 40 * MiB;
  const partSize = 5 * MiB;
  await killUploadAfter(server, { name: 'resumed', seed: 62, size, partSize, parts: 3 });
  const firstRun = server.partsReceived.map((p) => p.part);
  assert.deepEqual(firstRun, [1, 2, 3]);
  const store = storeOn(server, 'b', { partSize });
  t.after(() => store.close());
  assert.equal(await store.stat('resumed'), undefined, 'an unfinished upload is not an object');

  const file = await generatedFile(await tempDir(t), 62, size);
  const seen: number[] = [];
  await store.put('resumed', { path: file }, { progress: (n) => seen.push(n) });
  assert.deepEqual(server.partsReceived.slice(firstRun.length).map((p) => p.part).sort(), [4, 5, 6, 7, 8]);
  assert.equal(seen.at(-1), size, 'kept parts count in the progress too');
  assert.ok(seen.every((n, i) => i === 0 || n >= seen[i - 1]!), 'progress never goes back');
  assert.equal(await sha256(await store.get('resumed')), await sha256(generated(62, size)));
});

test('a resumed upload sends again a stored part whose bytes differ from the source', async (t) => {
  const server = await startS3rver(t, { bucket: 'b' });
  const partSize = 5 * MiB;
  await killUploadAfter(server, { name: 'changed', seed: 63, size: 4 * partSize, partSize, parts: 2 });
  // Same size, other bytes from part 2 on: part 1 is kept, part 2 must go again.
  const data = await readAll(generated(63, 4 * partSize));
  data.fill(7, partSize);
  const store = storeOn(server, 'b', { partSize });
  t.after(() => store.close());
  await store.put('changed', { bytes: data });
  assert.deepEqual(server.partsReceived.slice(0, 2).map((p) => p.part), [1, 2]);
  assert.deepEqual(server.partsReceived.slice(2).map((p) => p.part).sort(), [2, 3, 4]);
  assert.deepEqual(await readAll(await store.get('changed')), data);
});

test('wrong credentials: StorePermanentError naming the store, with a hint, and no secret anywhere', async (t) => {
  const server = await startS3rver(t, { bucket: 'b' });
  const secret = 'wrong-secret-must-not-leak';
  const keyId = 'WRONGKEYID';
  const store = storeOn(server, 'b', { credentials: { accessKeyId: keyId, secretAccessKey: secret }, remote: 'cloud', partSize: 5 * MiB });
  t.after(() => store.close());
  const attempts: (() => Promise<unknown>)[] = [
    () => store.put('x', { bytes: Buffer.from('data') }), () => store.get('x'), () => store.stat('x'), () => store.delete('x'),
    async () => { for await (const _ of store.list('')) break; },
    () => store.put('one request', { bytes: Buffer.alloc(4 * MiB) }),
    () => store.put('in parts', { bytes: Buffer.alloc(6 * MiB) }),
  ];
  for (const attempt of attempts) {
    await assert.rejects(attempt(), (err: unknown) => {
      assert.ok(err instanceof StorePermanentError, String(err));
      assert.ok(err.message.startsWith(store.description), err.message);
      assert.match(err.message, /access denied \((InvalidAccessKeyId|HTTP 403)\)/);
      assert.match(err.hint ?? '', /AWS_ACCESS_KEY_ID.*remote cloud/);
      const everything = JSON.stringify({ m: err.message, h: err.hint, d: err.data, c: String(err.cause), s: err.stack });
      assert.ok(!everything.includes(secret) && !everything.includes(keyId), everything);
      return true;
    });
  }
});

test('a stopped server gives StoreTransientError; after a restart the same store works again', async (t) => {
  const server = await startS3rver(t, { bucket: 'b' });
  const store = storeOn(server, 'b');
  t.after(() => store.close());
  await store.put('x', { bytes: Buffer.from('before') });
  await server.stop();
  for (const attempt of [() => store.put('y', { bytes: Buffer.from('1') }), () => store.get('x'), () => store.stat('x'), () => store.delete('x')]) {
    await assert.rejects(attempt(), (err: unknown) => {
      assert.ok(err instanceof StoreTransientError, String(err));
      assert.match(err.message, /ECONNREFUSED/);
      return true;
    });
  }
  await server.restart();
  assert.equal((await readAll(await store.get('x'))).toString(), 'before');
});

test('a server killed during a download ends the stream with StoreTransientError', async (t) => {
  const server = await startS3rver(t, { bucket: 'b' });
  const store = storeOn(server, 'b');
  t.after(() => store.close());
  const size = 48 * MiB;
  await store.put('big', { open: () => generated(64, size), size });
  const stream = await store.get('big');
  let received = 0;
  await assert.rejects(async () => {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (received === 0) await server.kill();
      received += chunk.length;
    }
  }, (err: unknown) => {
    assert.ok(err instanceof StoreTransientError, String(err));
    return true;
  });
  assert.ok(received < size);
});

test('bytes the server stored differently from those sent are caught by the MD5 ETag check (transient)', async (t) => {
  const server = await startS3rver(t, { bucket: 'b', damage: 'bad-' });
  const store = storeOn(server, 'b', { partSize: 5 * MiB });
  t.after(() => store.close());
  await assert.rejects(store.put('bad-single', { bytes: Buffer.from('some bytes') }), (err: unknown) => {
    assert.ok(err instanceof StoreTransientError, String(err));
    assert.match(err.message, /stored bad-single with ETag [0-9a-f]{32}, but the bytes sent have MD5/);
    return true;
  });
  await assert.rejects(store.put('bad-parts', { bytes: Buffer.alloc(6 * MiB, 1) }), (err: unknown) => {
    assert.ok(err instanceof StoreTransientError, String(err));
    assert.match(err.message, /part \d of bad-parts arrived damaged/);
    return true;
  });
  assert.equal(await store.stat('bad-parts'), undefined, 'a damaged multipart upload is never completed');
  await store.put('good', { bytes: Buffer.from('fine') });
});

test('get of an absent name rejects with StoreNotFoundError naming it', async (t) => {
  const server = await startS3rver(t, { bucket: 'b' });
  const store = storeOn(server, 'b', { prefix: 'x/' });
  t.after(() => store.close());
  await assert.rejects(store.get('SHA256E-s1--nope', { offset: 3 }), (err: unknown) => {
    assert.ok(err instanceof StoreNotFoundError);
    assert.match(err.message, /SHA256E-s1--nope is not there/);
    return true;
  });
});
