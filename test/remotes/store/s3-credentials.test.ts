// Where S3 credentials come from, in git-annex's order, and the creds cache file both tools read.
import assert from 'node:assert/strict';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  annexCredsFile, decodeCredPair, decodeUnencryptedS3Creds, encodeCredPair, readAnnexCreds, resolveS3Credentials, writeAnnexCreds,
} from '../../../src/remotes/store/s3-credentials.js';
import { makeRepo, writeTree } from '../../helpers/repo.js';
import { git, gitAnnex } from '../../helpers/run.js';
import { tempDir } from '../../helpers/tmp.js';
import { startS3rver } from '../../servers/s3rver.js';

const pair = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret/with+chars=' };

test('a cred pair is two lines, as git-annex encodes and decodes it', () => {
  assert.equal(encodeCredPair(pair), 'AKIDEXAMPLE\nsecret/with+chars=\n');
  assert.deepEqual(decodeCredPair('a\nb\n'), { accessKeyId: 'a', secretAccessKey: 'b' });
  assert.deepEqual(decodeCredPair('a\nb'), { accessKeyId: 'a', secretAccessKey: 'b' });
  assert.equal(decodeCredPair('a\n'), undefined);
  assert.equal(decodeCredPair('a\nb\nc\n'), undefined);
  assert.equal(decodeCredPair(''), undefined);
  assert.deepEqual(decodeUnencryptedS3Creds(Buffer.from('id\nsec\n').toString('base64')), { accessKeyId: 'id', secretAccessKey: 'sec' });
});

test('resolution order: explicit, environment, the creds file, remote.log, then the SDK chain', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'creds');
  await writeFile(file, 'FILEID\nFILESECRET\n');
  const env = { AWS_ACCESS_KEY_ID: 'ENVID', AWS_SECRET_ACCESS_KEY: 'ENVSECRET' };
  const embedded = { accessKeyId: 'LOGID', secretAccessKey: 'LOGSECRET' };
  const r = (places: Parameters<typeof resolveS3Credentials>[0]) => resolveS3Credentials(places);
  assert.equal((await r({ explicit: pair, env, credsFile: file, embedded })).source, 'explicit');
  assert.deepEqual(await r({ env, credsFile: file, embedded }), { credentials: { accessKeyId: 'ENVID', secretAccessKey: 'ENVSECRET' }, source: 'environment' });
  assert.deepEqual(await r({ env: { AWS_ACCESS_KEY_ID: 'only-half' }, credsFile: file, embedded }),
    { credentials: { accessKeyId: 'FILEID', secretAccessKey: 'FILESECRET' }, source: 'git-annex creds file' });
  assert.deepEqual(await r({ env: {}, credsFile: join(dir, 'absent'), embedded }), { credentials: embedded, source: 'remote.log' });
  assert.deepEqual(await r({ env: {} }), { credentials: undefined, source: 'AWS default chain' });
  assert.equal((await r({ env: { ...env, AWS_SESSION_TOKEN: 'tok' } })).credentials?.sessionToken, 'tok');
  await writeFile(file, 'malformed\n');
  assert.equal(await readAnnexCreds(file), undefined, 'a malformed file is ignored, as git-annex ignores it');
});

test("git-annex's creds file and ferry's are the same bytes, and each tool reads the other's", async (t) => {
  const server = await startS3rver(t);
  const repo = await makeRepo(t, { init: 'git-annex' });
  await gitAnnex(repo, [
    'initremote', 'cloud', 'type=S3', 'encryption=none', `host=${server.host}`, `port=${server.port}`, 'protocol=http',
    'signature=v4', 'requeststyle=path', 'bucket=credsbucket', 'datacenter=US',
  ], { env: { AWS_ACCESS_KEY_ID: server.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: server.credentials.secretAccessKey } });
  const uuid = (await git(repo, ['config', 'remote.cloud.annex-uuid'])).stdout.trim();
  const file = annexCredsFile(join(repo, '.git'), uuid);
  const annexBytes = await readFile(file);
  assert.deepEqual(await readAnnexCreds(file), server.credentials);

  await rm(file);
  await writeTree(repo, { 'f.txt': 'via ferry-written creds\n' });
  await gitAnnex(repo, ['add', 'f.txt']);
  const without = await gitAnnex(repo, ['copy', '--to', 'cloud', 'f.txt'], { expect: [] });
  assert.notEqual(without.code, 0, 'without the file git-annex has no credentials');
  await writeAnnexCreds(file, server.credentials);
  assert.deepEqual(await readFile(file), annexBytes);
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  // No AWS_* in git-annex's environment now: it can only have the pair from ferry's file.
  await gitAnnex(repo, ['copy', '--to', 'cloud', 'f.txt']);
  const whereis = (await gitAnnex(repo, ['whereis', 'f.txt'])).stdout;
  assert.match(whereis, /cloud/);
});
