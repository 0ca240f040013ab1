// `ferry notify` against a real cloud: two repositories of one ferry:: remote, the notices poll finds in the
// store, and the command's errors.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ferry, git, jsonLines, start } from '../helpers/run.js';
import { cloneCloud, commit, makeCloud } from '../cloudgit/fixture.js';
import { startMosquitto } from '../servers/mosquitto.js';

/** Resolves once `child` has written `pattern` to stderr. */
function stderrMatch(child: ReturnType<typeof start>['child'], pattern: RegExp): Promise<void> {
  let text = '';
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (b: Buffer) => {
      text += b.toString('utf8');
      if (pattern.test(text)) resolve();
    });
    child.on('close', () => reject(new Error(`exited before ${pattern}: ${text}`)));
  });
}

test('notify listen prints what poll finds: a peer already fetched, then its new push', async (t) => {
  const cloud = await makeCloud(t, 'directory');
  const bob = await cloneCloud(cloud, 'bob');
  await ferry(bob, ['init', 'bob'], { env: cloud.env });
  const alicePeer = (await git(cloud.origin, ['config', 'remote.cloud-git.ferry-peer'])).stdout.trim();
  const listening = start(bob, 'ferry', ['notify', 'listen', '--json', '--count', '2', '--via', 'poll=active=200ms,idle=1s']);
  t.after(() => listening.child.kill('SIGKILL'));
  await stderrMatch(listening.child, /listening for notices of cloud-git as peer [0-9a-f]{8} via poll/);
  await commit(cloud.origin, 'b.txt', 'second\n');
  await git(cloud.origin, ['push', '-q', 'cloud-git', 'main']);
  const { stdout } = await listening.done;
  const lines = jsonLines(stdout).map(({ peer, seq, state, via }) => ({ peer, seq, state, via }));
  assert.deepEqual(lines, [
    { peer: alicePeer, seq: 1, state: 'fetched', via: 'poll' },
    { peer: alicePeer, seq: 2, state: 'new', via: 'poll' },
  ]);
});

test('notify: a bad command line, an unknown transport or remote, and no ferry:: remote are clear errors', async (t) => {
  const cloud = await makeCloud(t, 'directory');
  const usage = await ferry(cloud.origin, ['notify'], { expect: [2] });
  assert.match(usage.stderr, /Specify what to do: listen or send/);
  const unknown = await ferry(cloud.origin, ['notify', 'send', '--via', 'pigeon=coo'], { expect: [1] });
  assert.match(unknown.stderr, /notifier 'pigeon': unknown transport \(known: relay, mqtt, xmpp, poll\)/);
  const poll = await ferry(cloud.origin, ['notify', 'send', '--via', 'poll']);
  assert.match(poll.stdout, /notify send poll: nothing to send \(its peers read the cloud itself\)/);
  await git(cloud.origin, ['remote', 'remove', 'cloud-git']);
  const none = await ferry(cloud.origin, ['notify', 'listen'], { expect: [1] });
  assert.match(none.stderr, /this repository has no ferry:: remote to send notices for/);
  const plain = await ferry(cloud.origin, ['initremote', 'plain', 'type=directory', `directory=${cloud.root}`, 'encryption=none']);
  assert.equal(plain.code, 0);
  const unencrypted = await ferry(cloud.origin, ['notify', 'listen', '--remote', 'plain'], { expect: [1] });
  assert.match(unencrypted.stderr, /special remote plain is not encrypted \(encryption=none\): it has no secret to seal notices with/);
  const pollless = await ferry(cloud.origin, ['notify', 'listen', '--remote', 'cloud', '--via', 'poll'], { expect: [1] });
  assert.match(pollless.stderr, /poll: this repository has no cloud to poll \(no ferry:: remote\)/);
});

test('ferry sync and a plain git push announce through the remote\'s notifiers; notify send repeats the last', async (t) => {
  const broker = await startMosquitto(t);
  const cloud = await makeCloud(t, 'directory');
  const bob = await cloneCloud(cloud, 'bob');
  await ferry(bob, ['init', 'bob'], { env: cloud.env });
  await git(cloud.origin, ['config', '--add', 'remote.cloud-git.ferry-notify', `mqtt=${broker.url}`]);
  const alicePeer = (await git(cloud.origin, ['config', 'remote.cloud-git.ferry-peer'])).stdout.trim();
  const listening = start(bob, 'ferry', ['notify', 'listen', '--json', '--count', '3', '--via', `mqtt=${broker.url}`]);
  t.after(() => listening.child.kill('SIGKILL'));
  await stderrMatch(listening.child, /listening for notices of cloud-git/);
  await commit(cloud.origin, 'b.txt', 'second\n');
  await ferry(cloud.origin, ['sync', '--no-pull', 'cloud-git']);
  await commit(cloud.origin, 'c.txt', 'third\n');
  await git(cloud.origin, ['push', '-q', 'cloud-git', 'main']);
  const sent = await ferry(cloud.origin, ['notify', 'send', '--json']);
  const seqs = jsonLines(sent.stdout).filter((r) => r.via !== 'poll').map((r) => r.seq);
  const { stdout } = await listening.done;
  const heard = jsonLines(stdout).map(({ peer, seq, via }) => ({ peer, seq, via }));
  // The sync's manifest is seq 2, the git push's seq 3; notify send announces seq 3 again.
  assert.deepEqual(seqs, [3]);
  assert.deepEqual(heard, [2, 3, 3].map((seq) => ({ peer: alicePeer, seq, via: `mqtt ${broker.url}` })));
});

test('a notifier setting that does not parse is a warning; the push itself succeeds', async (t) => {
  const cloud = await makeCloud(t, 'directory');
  await git(cloud.origin, ['config', '--add', 'remote.cloud-git.ferry-notify', 'pigeon=coo']);
  await commit(cloud.origin, 'b.txt', 'second\n');
  const pushed = await git(cloud.origin, ['push', 'cloud-git', 'main']);
  assert.match(pushed.stderr, /cloud-git: pushes are not announced: notifier 'pigeon': unknown transport/);
  await commit(cloud.origin, 'c.txt', 'third\n');
  const synced = await ferry(cloud.origin, ['sync', '--no-pull', 'cloud-git']);
  assert.match(synced.stderr, /cloud-git: pushes are not announced: notifier 'pigeon': unknown transport/);
  const bob = await cloneCloud(cloud, 'bob');
  assert.equal((await git(bob, ['log', '-1', '--format=%s', 'origin/main'])).stdout.trim(), (await git(cloud.origin, ['log', '-1', '--format=%s', 'main'])).stdout.trim());
});
