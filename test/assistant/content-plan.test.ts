// The assistant's content plan (transfer-group accounting, ISSUE 15): which transfers a change needs, and when
// the cloud's copy may go. Two real repositories set up by `ferry cloud create` and `ferry join` (so the
// groups are the ones those leave: both clients, the cloud in transfer with `standard`), a directory store,
// and ContentPlan in-process over one of them; its transfer requests are captured, not run.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { EventBus } from '../../src/assistant/index.js';
import type { TransferRequest } from '../../src/assistant/index.js';
import { ContentPlan } from '../../src/assistant/content-plan.js';
import { Annex, AnnexRepo } from '../../src/annex/index.js';
import { openRemotes } from '../../src/remotes/index.js';
import { bytes } from '../helpers/repo.js';
import { ferry, git, jsonLines } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';
import type { AfterHook } from '../helpers/tmp.js';

interface Pair {
  readonly a: string;
  readonly b: string;
  readonly key: string;
}

/** A (with photo.jpg, unlocked, committed) created the cloud; B joined it. Nothing is in the cloud yet. */
async function pair(t: AfterHook): Promise<Pair> {
  const root = await tempDir(t);
  const a = join(root, 'a');
  const store = join(root, 'store');
  await mkdir(a);
  await mkdir(store);
  await git(a, ['init', '-q']);
  await ferry(a, ['init', 'alice']);
  const created = jsonLines((await ferry(a, ['cloud', 'create', 'cloud', 'type=directory', `directory=${store}`, '--json'])).stdout)[0]!;
  await writeFile(join(a, 'photo.jpg'), bytes(9, 70_000));
  await ferry(a, ['add', 'photo.jpg']);
  await git(a, ['commit', '-q', '-m', 'photo']);
  await ferry(a, ['sync', 'cloud-git']);
  await ferry(root, ['join', '-', 'b'], { input: `${created.code as string}\n` });
  const key = jsonLines((await ferry(a, ['find', '--json', 'photo.jpg'])).stdout)[0]!.key as string;
  return { a, b: join(root, 'b'), key };
}

/** ContentPlan over `dir`, with the requests it makes and the drops it reports. */
async function planOver(t: AfterHook, dir: string): Promise<{ plan: ContentPlan; requests: TransferRequest[]; dropped: string[] }> {
  const repo = await AnnexRepo.open(dir);
  const annex = new Annex(repo, repo.requireInitialised());
  const opened = await openRemotes(annex);
  t.after(() => { opened.close(); annex.close(); });
  const bus = new EventBus();
  const dropped: string[] = [];
  bus.subscribe((e) => { if (e.type === 'dropped') dropped.push(`${e.from}:${e.key}`); });
  const requests: TransferRequest[] = [];
  const plan = new ContentPlan(annex, {
    bus,
    remotes: opened.remotes.filter((r) => r.name === 'cloud'),
    enqueue: (r) => { requests.push(...r); return Promise.resolve(r.map((_, i) => `t${requests.length - r.length + i}`)); },
  });
  return { plan, requests, dropped };
}

test('a new file is uploaded; on the other client it waits while no remote has it, and is downloaded once one does', async (t) => {
  const { a, b, key } = await pair(t);
  const onA = await planOver(t, a);
  assert.deepEqual(await onA.plan.files(['photo.jpg']), ['t0'], 'the ids of the uploads it queued');
  assert.deepEqual(onA.requests, [{ direction: 'upload', key, remote: 'cloud', paths: ['photo.jpg'] }]);

  const onB = await planOver(t, b);
  await onB.plan.files(undefined);
  assert.deepEqual(onB.requests, [], 'nothing to download from: the cloud does not have it yet');
  assert.equal(onB.plan.waiting, 1);

  await ferry(a, ['copy', '--to', 'cloud', 'photo.jpg']);
  await ferry(a, ['sync', 'cloud-git']);
  await ferry(b, ['sync', 'cloud-git']);
  await onB.plan.recheck();
  assert.deepEqual(onB.requests, [{ direction: 'download', key, remote: 'cloud', paths: ['photo.jpg'] }]);
  assert.equal(onB.plan.waiting, 0);
});

test('the cloud copy stays while a client lacks the file and goes once every client has it; numcopies 2 keeps it unless the other client is trusted', async (t) => {
  const { a, b, key } = await pair(t);
  await ferry(a, ['copy', '--to', 'cloud', 'photo.jpg']);
  const onA = await planOver(t, a);
  await onA.plan.settle([{ key, path: 'photo.jpg' }]);
  assert.deepEqual(onA.dropped, [], 'B lacks it: the cloud still wants it');
  assert.match((await ferry(a, ['whereis', 'photo.jpg'])).stdout, /\[cloud\]/);

  await ferry(a, ['sync', 'cloud-git']);
  await ferry(b, ['sync', 'cloud-git']);
  await ferry(b, ['get', 'photo.jpg']);
  await ferry(b, ['numcopies', '2']);
  const onB = await planOver(t, b);
  await onB.plan.settle([{ key, path: 'photo.jpg' }]);
  assert.deepEqual(onB.dropped, [], 'numcopies 2: A counts only through its location log, which is not proof');
  assert.match((await ferry(b, ['whereis', 'photo.jpg'])).stdout, /\[cloud\]/);

  await ferry(b, ['trust', '--force', 'alice']);
  const trusting = await planOver(t, b);
  await trusting.plan.settle([{ key, path: 'photo.jpg' }]);
  assert.deepEqual(trusting.dropped, [`cloud:${key}`]);
  assert.doesNotMatch((await ferry(b, ['whereis', 'photo.jpg'])).stdout, /\[cloud\]/);

  // With numcopies 1 B's own verified copy is proof enough: the client completing the set drops it.
  const again = await pair(t);
  await ferry(again.a, ['copy', '--to', 'cloud', 'photo.jpg']);
  await ferry(again.a, ['sync', 'cloud-git']);
  await ferry(again.b, ['sync', 'cloud-git']);
  await ferry(again.b, ['get', 'photo.jpg']);
  const onB1 = await planOver(t, again.b);
  await onB1.plan.settle([{ key: again.key, path: 'photo.jpg' }]);
  assert.deepEqual(onB1.dropped, [`cloud:${again.key}`]);
  // Real git-annex reads the drop: the cloud no longer has it, B and A do.
  const where = (await git(again.b, ['annex', 'whereis', 'photo.jpg'])).stdout;
  assert.doesNotMatch(where, /\[cloud\]/);
  assert.match(where, /2 copies/);
});
