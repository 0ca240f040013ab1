// S3Store against the raw AWS SDK, both talking to the same s3rver on loopback: a put of a 64 MiB file and
// a get of it drained to nothing, and the same put as a multipart upload of 16 MiB parts on both sides.
// S3Store adds what the raw calls lack (the MD5 ETag check of every byte sent, the search for an upload to
// resume, truncation checks on the way back); the target is that this costs at most 1.2× the raw requests.
// In-process, alternating, medians.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import {
  CompleteMultipartUploadCommand, CreateMultipartUploadCommand, DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { S3Store } from '../src/remotes/store/s3.js';
import { startS3rver } from '../test/servers/s3rver.js';
import { alternate, formatMs, formatRatio, median, sampleRows, table, target, writeLargeFile } from './lib.js';
import type { Benchmark, Contender } from './lib.js';

const TIME_RATIO = 1.2;
const MiB = 2 ** 20;
const BUCKET = 'bench';
const PART = 16 * MiB;

/** The plain multipart sequence a caller of the raw SDK would write: create, each part in turn, complete. */
async function rawMultipart(client: S3Client, key: string, file: string, size: number): Promise<void> {
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }));
  const parts = [];
  for (let n = 1, at = 0; at < size; n++, at += PART) {
    const length = Math.min(PART, size - at);
    const out = await client.send(new UploadPartCommand({
      Bucket: BUCKET, Key: key, UploadId, PartNumber: n, ContentLength: length,
      Body: createReadStream(file, { start: at, end: at + length - 1 }),
    }));
    parts.push({ PartNumber: n, ETag: out.ETag });
  }
  await client.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId, MultipartUpload: { Parts: parts } }));
}

/** What a raw-SDK caller does to have its upload checked: MD5 the file first, send it as Content-MD5. */
async function rawPutWithMd5(client: S3Client, key: string, file: string, size: number): Promise<void> {
  const md5 = createHash('md5');
  for await (const chunk of createReadStream(file, { highWaterMark: MiB }) as AsyncIterable<Buffer>) md5.update(chunk);
  await client.send(new PutObjectCommand({
    Bucket: BUCKET, Key: key, Body: createReadStream(file), ContentLength: size, ContentMD5: md5.digest('base64'),
  }));
}

async function drain(stream: Readable): Promise<number> {
  let n = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) n += chunk.length;
  return n;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export const benchmark: Benchmark = {
  name: 's3-store',
  title: 's3-store: S3Store put/get of 64 MiB vs the raw AWS SDK, against s3rver on loopback',
  async run({ ws, rounds, print }) {
    const size = Number.parseInt(process.env.FERRY_BENCH_S3_MB ?? '64', 10) * MiB;
    const cleanups: (() => unknown)[] = [];
    try {
      const server = await startS3rver({ after: (fn) => cleanups.push(fn) }, { bucket: BUCKET });
      const file = join(await ws.dir('s3'), 'big.bin');
      writeLargeFile(file, size, 's3-store-20261125');
      const store = new S3Store({
        bucket: BUCKET, host: server.host, port: server.port, protocol: 'http', pathStyle: true, credentials: server.credentials,
      });
      // The raw client as a careful caller would set it up for s3rver: same endpoint, no flexible checksums.
      const raw = new S3Client({
        region: 'us-east-1', endpoint: server.endpoint, forcePathStyle: true, credentials: server.credentials,
        requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
      });
      const parted = new S3Store({
        bucket: BUCKET, host: server.host, port: server.port, protocol: 'http', pathStyle: true, credentials: server.credentials,
        partSize: PART,
      });
      cleanups.push(() => store.close(), () => parted.close(), () => raw.destroy());
      print(`  ${size / MiB} MiB file in the page cache; s3rver ${server.endpoint}; ${rounds} alternating rounds`);

      let n = 0;
      const fresh = () => Promise.resolve(`obj-${++n}`);
      const remove = (key: string) => raw.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key })).then(() => undefined);
      const stored = async () => {
        const key = await fresh();
        await store.put(key, { path: file });
        return key;
      };
      const contenders: Contender<string>[] = [
        { name: 'S3Store put', prepare: fresh, measure: (k) => timed(() => store.put(k, { path: file })), finish: remove },
        {
          name: 'SDK PutObject', prepare: fresh, finish: remove,
          measure: (k) => timed(() => raw.send(new PutObjectCommand({ Bucket: BUCKET, Key: k, Body: createReadStream(file), ContentLength: size }))),
        },
        { name: 'SDK PutObject + Content-MD5', prepare: fresh, measure: (k) => timed(() => rawPutWithMd5(raw, k, file, size)), finish: remove },
        { name: 'S3Store put, 16 MiB parts', prepare: fresh, measure: (k) => timed(() => parted.put(k, { path: file })), finish: remove },
        { name: 'SDK multipart, 16 MiB parts', prepare: fresh, measure: (k) => timed(() => rawMultipart(raw, k, file, size)), finish: remove },
        { name: 'S3Store get', prepare: stored, measure: (k) => timed(async () => drain(await store.get(k))), finish: remove },
        {
          name: 'SDK GetObject', prepare: stored, finish: remove,
          measure: (k) => timed(async () => drain((await raw.send(new GetObjectCommand({ Bucket: BUCKET, Key: k }))).Body as Readable)),
        },
      ];
      const samples = await alternate(contenders, rounds, print);
      const m = (name: string) => median(samples.get(name) ?? []);
      print();
      for (const l of table(['operation', 'median', 'min', 'max', 'runs'], sampleRows(samples, contenders.map((c) => c.name)))) print(l);
      const put = m('S3Store put') / m('SDK PutObject');
      const get = m('S3Store get') / m('SDK GetObject');
      const parts = m('S3Store put, 16 MiB parts') / m('SDK multipart, 16 MiB parts');
      print(`  S3Store / SDK: put ${formatRatio(put)}, multipart put ${formatRatio(parts)}, get ${formatRatio(get)} (target ≤ ${TIME_RATIO}×)`);
      // S3Store checks the MD5 ETag of every upload; the unchecked raw PutObject is the target's baseline,
      // the checked one (MD5 first, then Content-MD5) shows what the same guarantee costs done by hand.
      print(`  S3Store put / SDK PutObject + Content-MD5: ${formatRatio(m('S3Store put') / m('SDK PutObject + Content-MD5'))}`);
      return [
        target(`s3-store: put of ${size / MiB} MiB within ${TIME_RATIO}× of the raw SDK`, put <= TIME_RATIO,
          `${formatRatio(put)} (S3Store ${formatMs(m('S3Store put'))}, SDK ${formatMs(m('SDK PutObject'))})`),
        target(`s3-store: multipart put of ${size / MiB} MiB (16 MiB parts, with the resume check) within ${TIME_RATIO}× of the raw SDK's`, parts <= TIME_RATIO,
          `${formatRatio(parts)} (S3Store ${formatMs(m('S3Store put, 16 MiB parts'))}, SDK ${formatMs(m('SDK multipart, 16 MiB parts'))})`),
        target(`s3-store: get of ${size / MiB} MiB within ${TIME_RATIO}× of the raw SDK`, get <= TIME_RATIO,
          `${formatRatio(get)} (S3Store ${formatMs(m('S3Store get'))}, SDK ${formatMs(m('SDK GetObject'))})`),
      ];
    } finally {
      for (const fn of cleanups.reverse()) await fn();
    }
  },
};
