// embedcreds=yes for S3 (annex-format §6.5): the key pair in remote.log's s3creds, encrypted with the shared
// cipher (or base64 only with encryption=none, as git-annex 10.20230126 stores it). Written by either tool,
// the other enables the remote and gets content in a clone that has no AWS_* variables and no cached pair.
// The secret never shows in ferry's output, --json, git config, or the command lines of the git processes
// ferry runs (GIT_TRACE). s3rver checks the key id only, so the secret can be a value no output holds by chance.
import assert from 'node:assert/strict';
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { SharedCipher } from '../../../src/crypto/index.js';
import { EmbeddedCredsError, decodeEmbeddedCreds, encodeEmbeddedCreds } from '../../../src/remotes/special/embedded-creds.js';
import { makeRepo } from '../../helpers/repo.js';
import { ferry, git, gitAnnex, run } from '../../helpers/run.js';
import type { RunResult } from '../../helpers/run.js';
import { tempDir } from '../../helpers/tmp.js';
import { startS3rver } from '../../servers/s3rver.js';

const SECRET = 'emb3dded-Secret-7f3a9c';
const PAIR = { accessKeyId: 'S3RVER', secretAccessKey: SECRET };
const WITH_PAIR = { AWS_ACCESS_KEY_ID: PAIR.accessKeyId, AWS_SECRET_ACCESS_KEY: SECRET };

function sharedConfig(): Map<string, string> {
  return new Map([['encryption', 'shared'], ['cipher', SharedCipher.generate().toRemoteLog()], ['embedcreds', 'yes']]);
}

test('s3creds with a shared cipher: gpg reads the pair after undoing the Latin-1/UTF-8/base64 encoding', async (t) => {
  const config = sharedConfig();
  const value = await encodeEmbeddedCreds(config, PAIR);
  assert.doesNotMatch(Buffer.from(value, 'base64').toString('latin1'), new RegExp(SECRET), 'the secret is not in clear');
  assert.deepEqual(await decodeEmbeddedCreds('cloud', new Map([...config, ['s3creds', value]])), PAIR);
  // The oracle: gpg, given the passphrase as git-annex gives it (cipher text from 256 to the line feed).
  const message = Buffer.from(Buffer.from(value, 'base64').toString('utf8'), 'latin1');
  const dir = await tempDir(t);
  await writeFile(join(dir, 'creds.gpg'), message);
  const passphrase = Buffer.from(config.get('cipher')!, 'base64').subarray(256, 684).toString('latin1');
  const gpg = await run(dir, 'gpg', ['--batch', '--quiet', '--homedir', dir, '--passphrase-fd', '0', '--decrypt', 'creds.gpg'], { input: `${passphrase}\n` });
  assert.equal(gpg.stdout, `S3RVER\n${SECRET}\n`);
});

test('s3creds without a cipher is base64 of the pair, as git-annex stores it', async () => {
  const config = new Map([['encryption', 'none'], ['embedcreds', 'yes']]);
  const value = await encodeEmbeddedCreds(config, PAIR);
  assert.equal(value, Buffer.from(`S3RVER\n${SECRET}\n`).toString('base64'));
  assert.deepEqual(await decodeEmbeddedCreds('cloud', new Map([...config, ['s3creds', value]])), PAIR);
});

test('a damaged or foreign s3creds is an error naming the field and the remote, never the value', async () => {
  const config = sharedConfig();
  const other = await encodeEmbeddedCreds(sharedConfig(), PAIR); // another remote's cipher
  const good = Buffer.from(await encodeEmbeddedCreds(config, PAIR), 'base64');
  const flipped = [...good.keys()].map((i) => {
    const raw = Buffer.from(good);
    raw[i]! ^= 1;
    return raw.toString('base64');
  });
  for (const value of [other, ...flipped, 'not base64!', Buffer.from('one line only').toString('base64')]) {
    await assert.rejects(decodeEmbeddedCreds('cloud', new Map([...config, ['s3creds', value]])), (err: unknown) => {
      assert.ok(err instanceof EmbeddedCredsError, String(err));
      assert.match(err.message, /^s3creds of remote cloud: /);
      assert.ok(!err.message.includes(value) && !err.message.includes(SECRET) && !(err.hint ?? '').includes(SECRET));
      return true;
    });
  }
  // Old git-annex stored the pair unencrypted despite a shared cipher; git-annex still reads that, so does ferry.
  const legacy = Buffer.from(`S3RVER\n${SECRET}\n`).toString('base64');
  assert.deepEqual(await decodeEmbeddedCreds('cloud', new Map([...config, ['s3creds', legacy]])), PAIR);
});

test('embedcreds=yes without a pair in the environment is refused before anything is made', async (t) => {
  const server = await startS3rver(t);
  const repo = await makeRepo(t);
  const r = await ferry(repo, ['initremote', 'cloud', 'type=S3', `host=${server.host}`, `port=${server.port}`, 'protocol=http',
    'bucket=nopair', 'encryption=shared', 'embedcreds=yes'], { expect: [2], env: { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' } });
  assert.match(r.stderr, /embedcreds: yes needs the key pair in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
  const log = await git(repo, ['cat-file', '-p', 'git-annex:remote.log'], { expect: [0, 128] });
  assert.doesNotMatch(log.stdout, /cloud/, 'nothing recorded');
  assert.ok(!(await readdir(server.directory)).includes('nopair'), 'no bucket made');
});

function assertNoSecret(results: readonly RunResult[], where: string): void {
  for (const r of results) {
    assert.ok(!r.stdout.includes(SECRET) && !r.stderr.includes(SECRET), `${where}: the secret shows in ${r.stdout}${r.stderr}`);
  }
}

let bucketSeq = 0;
for (const writer of ['ferry', 'git-annex'] as const) {
  for (const encryption of ['shared', 'none']) {
    test(`S3 embedcreds=yes, encryption=${encryption}: ${writer} writes s3creds, the other tool uses them without AWS_* variables`, async (t) => {
      const server = await startS3rver(t);
      const origin = await makeRepo(t, { init: writer, files: { 'a.txt': 'embedded credentials\n' } });
      const tool = writer === 'ferry' ? ferry : gitAnnex;
      const trace = join(await tempDir(t), 'git-trace');
      const ferryEnv = { GIT_TRACE: trace };
      const seen: RunResult[] = [];
      await tool(origin, ['add', '.']);
      await git(origin, ['commit', '-q', '-m', 'add']);
      seen.push(await tool(origin, ['initremote', 'cloud', 'type=S3', `host=${server.host}`, `port=${server.port}`, 'protocol=http',
        `bucket=embedded${++bucketSeq}`, 'signature=v4', 'requeststyle=path', `encryption=${encryption}`, 'embedcreds=yes'],
      { env: { ...WITH_PAIR, ...(writer === 'ferry' ? ferryEnv : {}) } }));
      seen.push(await tool(origin, ['copy', '--to', 'cloud', '.'], { env: writer === 'ferry' ? ferryEnv : {} }));
      const log = (await git(origin, ['cat-file', '-p', 'git-annex:remote.log'])).stdout;
      assert.match(log, / embedcreds=yes /);
      const stored = / s3creds=([^ ]+) /.exec(log)?.[1];
      assert.ok(stored, 's3creds is in remote.log');
      assert.ok(!Buffer.from(stored, 'base64').toString('latin1').includes(SECRET) || encryption === 'none', 'encrypted with a cipher');

      const clone = join(await tempDir(t), 'clone');
      await git(origin, ['clone', '-q', origin, clone]);
      const reader = writer === 'ferry' ? gitAnnex : ferry;
      const readerEnv = writer === 'ferry' ? {} : ferryEnv;
      await reader(clone, ['init', 'reader'], { env: readerEnv });
      await git(clone, ['config', 'remote.origin.annex-ignore', 'true']);
      seen.push(await reader(clone, ['enableremote', 'cloud'], { env: readerEnv }));
      const credsDir = join(clone, '.git/annex/creds');
      const cached = await Promise.all((await readdir(credsDir)).map((f) => readFile(join(credsDir, f), 'utf8')));
      assert.deepEqual(cached, [`S3RVER\n${SECRET}\n`], 'the embedded pair is cached for this clone, as git-annex does');
      seen.push(await reader(clone, ['get', 'a.txt'], { env: readerEnv }));
      assert.equal(await readFile(join(clone, 'a.txt'), 'utf8'), 'embedded credentials\n');

      if (writer === 'git-annex') {
        // Without the cache, ferry opens the remote with the pair from remote.log alone.
        await rm(join(clone, '.git/annex/creds'), { recursive: true });
        seen.push(await ferry(clone, ['drop', 'a.txt'], { env: ferryEnv }));
        seen.push(await ferry(clone, ['get', '--json', 'a.txt'], { env: ferryEnv }));
        assert.match(seen.at(-1)!.stdout, /"success":true/);
        seen.push(await ferry(clone, ['fsck', '--from', 'cloud', '--json'], { env: ferryEnv }));
        assert.equal(await readFile(join(clone, 'a.txt'), 'utf8'), 'embedded credentials\n');
        seen.push(await ferry(clone, ['info', 'cloud'], { env: ferryEnv, expect: [] }));
        // enableremote with the same pair in the environment leaves remote.log's s3creds alone.
        const before = (await git(clone, ['cat-file', '-p', 'git-annex:remote.log'])).stdout;
        seen.push(await ferry(clone, ['enableremote', 'cloud'], { env: { ...ferryEnv, ...WITH_PAIR } }));
        assert.equal((await git(clone, ['cat-file', '-p', 'git-annex:remote.log'])).stdout, before);
      }
      assertNoSecret(seen, 'ferry and git-annex output');
      const config = await readFile(join(clone, '.git/config'), 'utf8') + await readFile(join(origin, '.git/config'), 'utf8');
      assert.ok(!config.includes(SECRET), 'not in git config');
      const traced = await readFile(trace, 'utf8');
      assert.match(traced, /trace: /, 'GIT_TRACE recorded the git commands ferry ran');
      assert.ok(!traced.includes(SECRET), 'not on the command line of a git process ferry ran');
    });
  }
}
