import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { cloneCloud, makeCloud } from '../cloudgit/fixture.js';
import { ferry, git, gitAnnex, jsonLines } from '../helpers/run.js';

test('git annex sync works through a ferry:: remote, and union-merges every peer\'s git-annex branch', async (t) => {
  const cloud = await makeCloud(t, 'directory');
  // b: a clone that git-annex uses (ferry init made cloud-git = ferry::cloud; the helper is on PATH).
  const b = await cloneCloud(cloud, 'b');
  await ferry(b, ['init', 'b']);
  await writeFile(join(b, 'from-b.bin'), 'content git-annex added\n');
  await gitAnnex(b, ['add', 'from-b.bin']);
  await git(b, ['commit', '-q', '-m', 'git-annex adds a file']);
  const synced = await gitAnnex(b, ['sync', 'cloud-git']);
  assert.match(synced.stdout, /push cloud-git/);
  assert.equal((await git(b, ['config', 'remote.cloud-git.annex-ignore'])).stdout.trim(), 'true');

  // Meanwhile the origin changed its git-annex branch too (a description): the two diverge.
  await ferry(cloud.origin, ['describe', 'here', 'the origin, renamed']);
  await ferry(cloud.origin, ['sync']);

  // c: another git-annex client fetches both peers' git-annex branches and merges them by union.
  const c = await cloneCloud(cloud, 'c');
  await gitAnnex(c, ['init', 'c']);
  await git(c, ['remote', 'rename', 'origin', 'cloud-git']);
  await gitAnnex(c, ['sync', 'cloud-git'], { env: cloud.env });
  const info = (await gitAnnex(c, ['info', '--json'])).stdout;
  assert.match(info, /the origin, renamed/, 'the origin\'s description arrived');
  const [whereis] = jsonLines((await gitAnnex(c, ['whereis', '--json', 'from-b.bin'])).stdout);
  assert.ok((whereis?.whereis as { description: string }[]).some((w) => /\bb\b/.test(w.description)), 'b\'s location log arrived');

  // And ferry sync in the origin brings b's commit.
  await ferry(cloud.origin, ['sync']);
  assert.equal((await git(cloud.origin, ['cat-file', '-t', 'HEAD:from-b.bin'])).stdout.trim(), 'blob');
});
