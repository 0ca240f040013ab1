import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { bytes, writeTree } from '../helpers/repo.js';
import { ferry, git, gitAnnex, jsonLines } from '../helpers/run.js';
import type { RunResult } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';
import type { AfterHook } from '../helpers/tmp.js';
import { freePort } from '../servers/free-port.js';
import { startS3rver } from '../servers/s3rver.js';

const BIG = bytes(15, 300_000);

/** Repository A with a committed file `big.bin`, folder name `photos`. */
async function repoA(t: AfterHook): Promise<string> {
  const root = await tempDir(t);
  const a = join(root, 'photos');
  await mkdir(a);
  await git(a, ['init', '-q']);
  await ferry(a, ['init', 'machine A']);
  await writeTree(a, { 'big.bin': BIG, 'note.txt': 'hello\n' });
  await ferry(a, ['add', 'big.bin', 'note.txt']);
  await git(a, ['commit', '-q', '-m', 'files']);
  return a;
}

async function create(dir: string, args: readonly string[], env: Record<string, string> = {}): Promise<{ code: string; record: Record<string, unknown>; result: RunResult }> {
  const result = await ferry(dir, ['cloud', 'create', ...args, '--json'], { env });
  const [record] = jsonLines(result.stdout);
  assert.ok(record !== undefined, 'cloud create --json printed no object');
  assert.match(result.stderr, /join code is a secret/);
  return { code: record.code as string, record, result };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

/** `ferry join` that must fail with `message` and leave no folder behind. */
async function joinRefused(cwd: string, args: readonly string[], message: RegExp, dir: string): Promise<void> {
  const r = await ferry(cwd, ['join', ...args], { expect: [1] });
  assert.match(r.stderr, message);
  assert.equal(await exists(dir), false, `${dir} was left behind`);
}

test('cloud create on A with a directory store, join on B, B gets what A put in the cloud; git-annex reads B', async (t) => {
  const a = await repoA(t);
  const store = join(await tempDir(t), 'store');
  await mkdir(store);
  const { code, record } = await create(a, ['cloud', 'type=directory', `directory=${store}`]);
  assert.match(code, /^ferry1-/);
  assert.equal(record.created, true);
  assert.equal((await git(a, ['config', 'remote.cloud-git.url'])).stdout.trim(), 'ferry::cloud');
  assert.equal((await git(a, ['config', 'annex.addunlocked'])).stdout.trim(), 'true');
  assert.equal((await ferry(a, ['group', 'cloud'])).stdout.trim(), 'transfer');
  assert.equal((await ferry(a, ['wanted', 'cloud'])).stdout.trim(), 'standard');
  assert.equal((await ferry(a, ['group', 'here'])).stdout.trim(), 'client');
  assert.equal((await readFile(join(store, 'ferry-git', 'v1', 'uuid'), 'utf8')).trim(), record.uuid);
  const log = (await git(a, ['show', 'git-annex:remote.log'])).stdout;
  assert.match(log, /chunk=8MiB/);
  assert.match(log, /encryption=shared/);
  await ferry(a, ['copy', '--to', 'cloud', 'big.bin']);
  await ferry(a, ['sync', 'cloud-git']);

  const elsewhere = await tempDir(t);
  const joined = await ferry(elsewhere, ['join', code]);
  assert.match(joined.stdout, /ferry get/);
  assert.doesNotMatch(joined.stdout + joined.stderr, new RegExp(code.slice(10, 40)), 'join printed the code');
  const b = join(elsewhere, 'photos');
  assert.equal((await git(b, ['config', 'remote.cloud-git.url'])).stdout.trim(), 'ferry::cloud');
  assert.equal((await git(b, ['config', 'annex.addunlocked'])).stdout.trim(), 'true');
  assert.equal((await ferry(b, ['group', 'here'])).stdout.trim(), 'client');
  await ferry(b, ['get', 'big.bin']);
  assert.deepEqual(await readFile(join(b, 'big.bin')), BIG);

  const whereis = (await gitAnnex(b, ['whereis', 'big.bin'])).stdout;
  assert.match(whereis, /\[cloud\]/);
  assert.match(whereis, /\[here\]/);
  const info = (await gitAnnex(b, ['info', 'cloud'])).stdout;
  assert.match(info, new RegExp(`uuid: ${record.uuid as string}`));
  assert.match(info, /encryption: shared/);
  assert.match((await gitAnnex(b, ['fsck', '--from', 'cloud', 'big.bin'])).stdout, /ok/);
});

test('cloud create again is idempotent; over another store it is refused; a folder holding a cloud is never a second store', async (t) => {
  const a = await repoA(t);
  const root = await tempDir(t);
  const store = join(root, 'store');
  const other = join(root, 'other');
  await mkdir(store);
  await mkdir(other);
  const first = await create(a, ['cloud', 'type=directory', `directory=${store}`]);
  const again = await create(a, ['cloud', 'type=directory', `directory=${store}`]);
  assert.equal(again.record.created, false);
  assert.equal(again.record.uuid, first.record.uuid);
  assert.equal(again.code, first.code);
  assert.equal(((await git(a, ['show', 'git-annex:remote.log'])).stdout.match(/name=cloud/g) ?? []).length, 1);
  assert.equal((await ferry(a, ['cloud', 'show-code', '--json'])).stdout.includes(first.code), true);

  const refused = await ferry(a, ['cloud', 'create', 'cloud', 'type=directory', `directory=${other}`], { expect: [1] });
  assert.match(refused.stderr, /there is already a special remote cloud, and its directory is .*: it is another store/);
  assert.deepEqual(await readdir(other), []);
  const typeRefused = await ferry(a, ['cloud', 'create', 'cloud', 'type=S3', 'bucket=x'], { expect: [1] });
  assert.match(typeRefused.stderr, /it is of type directory, not S3/);

  const c = await repoA(t);
  const second = await ferry(c, ['cloud', 'create', 'cloud', 'type=directory', `directory=${store}`], { expect: [1] });
  assert.match(second.stderr, /already holds a ferry cloud; cloud create never makes a second store there/);
  assert.equal((await git(c, ['show', 'git-annex:remote.log'], { expect: [0, 128] })).stdout.includes('name=cloud'), false);
});

test('join refuses a typo, a cut code, a wrong folder and a missing store, and leaves nothing behind', async (t) => {
  const a = await repoA(t);
  const root = await tempDir(t);
  const store = join(root, 'store');
  const empty = join(root, 'empty');
  await mkdir(store);
  await mkdir(empty);
  const { code, record } = await create(a, ['cloud', 'type=directory', `directory=${store}`]);
  const c = await repoA(t);
  const otherStore = join(root, 'other-store');
  await mkdir(otherStore);
  await create(c, ['other', 'type=directory', `directory=${otherStore}`]);

  const cwd = await tempDir(t);
  const dir = join(cwd, 'b');
  const at = 40;
  const typo = code.slice(0, at) + (code[at] === 'a' ? 'b' : 'a') + code.slice(at + 1);
  await joinRefused(cwd, [typo, 'b'], /this join code is damaged: its checksum does not match/, dir);
  await joinRefused(cwd, [code.slice(0, code.length - 7), 'b'], /this join code is (damaged|too short)/, dir);
  await joinRefused(cwd, [code, 'b', `directory=${otherStore}`], new RegExp(`holds another cloud \\(uuid [0-9a-f-]+\\), not cloud's \\(uuid ${record.uuid as string}\\)`), dir);
  await joinRefused(cwd, [code, 'b', `directory=${empty}`], /there is no ferry cloud at .*empty/, dir);
  await joinRefused(cwd, [code, 'b', `directory=${join(root, 'missing')}`], /directory remote path .*missing does not exist: is the drive mounted\?/, dir);
  // An empty folder the user made is left empty, not removed.
  await mkdir(dir);
  await joinRefused(cwd, [code, 'b', `directory=${empty}`], /no ferry cloud/, join(dir, '.git'));
  assert.deepEqual(await readdir(dir), []);

  // The right folder under another path (another machine's mount point) is accepted by its marker.
  await ferry(cwd, ['join', code, 'b', `directory=${store}`]);
  const b = join(cwd, 'b');
  const wrong = await ferry(b, ['enableremote', 'cloud', `directory=${otherStore}`], { expect: [1] });
  assert.match(wrong.stderr, /holds another cloud/);
  const none = await ferry(b, ['enableremote', 'cloud', `directory=${empty}`], { expect: [1] });
  assert.match(none.stderr, /there is no ferry cloud at/);
  assert.equal((await git(b, ['config', 'remote.cloud.annex-directory'])).stdout.trim(), store);
});

test('cloud create with S3 and --embed-credentials: B joins (code on stdin) with no keys of its own and gets the file; the notifier password arrives mode 600', async (t) => {
  const server = await startS3rver(t);
  const keys = { AWS_ACCESS_KEY_ID: server.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: server.credentials.secretAccessKey };
  const a = await repoA(t);
  const mqtt = `mqtt=mqtt://alice@127.0.0.1:${await freePort()}`;
  const { code, record } = await create(a, ['cloud', 'type=S3', `host=${server.host}`, `port=${server.port}`, 'protocol=http', 'bucket=photos',
    'fileprefix=annex/', '--embed-credentials', '--notify', mqtt], { ...keys, FERRY_MQTT_PASSWORD: 'mqtt-secret' });
  assert.deepEqual(record.notify, [mqtt]);
  await ferry(a, ['copy', '--to', 'cloud', 'big.bin'], { env: keys });
  await ferry(a, ['sync', 'cloud-git'], { env: keys });
  assert.equal((await ferry(a, ['cloud', 'show-code', 'cloud'])).stdout.includes(code), false, 'show-code without --embed-credentials is another code');

  const elsewhere = await tempDir(t);
  await ferry(elsewhere, ['join', '-', 'b'], { input: `${code}\n` });
  const b = join(elsewhere, 'b');
  await ferry(b, ['get', 'big.bin']);
  assert.deepEqual(await readFile(join(b, 'big.bin')), BIG);
  assert.equal((await git(b, ['config', '--get-all', 'remote.cloud-git.ferry-notify'])).stdout.trim(), mqtt);
  const passwordFile = (await git(b, ['config', 'remote.cloud-git.ferry-mqtt-password-file'])).stdout.trim();
  assert.equal((await readFile(passwordFile, 'utf8')).trim(), 'mqtt-secret');
  assert.equal((await stat(passwordFile)).mode & 0o777, 0o600);
  assert.match((await gitAnnex(b, ['whereis', 'big.bin'])).stdout, /\[cloud\]/);
  assert.match((await gitAnnex(b, ['info', 'cloud'])).stdout, new RegExp(`uuid: ${record.uuid as string}`));
  assert.match((await gitAnnex(b, ['fsck', '--fast', '--from', 'cloud', 'big.bin'])).stdout, /ok/);
});
