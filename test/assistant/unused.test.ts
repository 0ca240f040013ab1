import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { Annex, AnnexRepo, formatClock, readUnusedEntries } from '../../src/annex/index.js';
import { expireUnused, parseDuration, parseExpireUnused, unusedSummary } from '../../src/assistant/index.js';
import { useTestEnv } from '../helpers/env.js';
import { bytes, makeRepo } from '../helpers/repo.js';
import type { AfterHook } from '../helpers/tmp.js';
import { ferry, git, gitAnnex } from '../helpers/run.js';

useTestEnv();
const DAY = 86_400_000;
const T0 = new Date('2026-01-10T12:00:00Z');
const at = (days: number) => new Date(T0.getTime() + days * DAY);

async function open(t: AfterHook, dir: string): Promise<Annex> {
  const repo = await AnnexRepo.open(dir);
  const annex = new Annex(repo, repo.requireInitialised());
  t.after(() => annex.close());
  return annex;
}

/** Replaces `file` with `content` and commits it; returns the key the new version has. */
async function commitVersion(dir: string, file: string, content: Buffer): Promise<string> {
  await rm(join(dir, file), { force: true });
  await writeFile(join(dir, file), content);
  await ferry(dir, ['add', file]);
  await git(dir, ['commit', '-q', '-m', `${file} ${content.length}`]);
  return keyOfLink(dir, file);
}

async function keyOfLink(dir: string, file: string): Promise<string> {
  const { stdout } = await git(dir, ['cat-file', '-p', `HEAD:${file}`]);
  return stdout.trim().split('/').pop()!;
}

async function presentByLog(dir: string, key: string, uuid: string): Promise<boolean> {
  return (await gitAnnex(dir, ['readpresentkey', key, uuid], { expect: [] })).code === 0;
}

test('annex.expireunused reads as git-annex reads it', () => {
  assert.equal(parseDuration('7d'), 7 * 86400);
  assert.equal(parseDuration('1d12h'), 36 * 3600);
  assert.equal(parseDuration('1m'), 60, 'm is minutes in git-annex, not months');
  assert.equal(parseDuration('90'), 90);
  assert.equal(parseDuration('1y'), 365 * 86400);
  assert.equal(parseDuration(''), undefined);
  assert.equal(parseDuration('7D'), undefined);
  assert.equal(parseDuration('d7'), undefined);
  assert.deepEqual(parseExpireUnused('7d'), { kind: 'after', seconds: 7 * 86400 });
  assert.deepEqual(parseExpireUnused('false'), { kind: 'keep' });
  assert.deepEqual(parseExpireUnused(undefined), { kind: 'keep' });
});

test('the summary counts the old versions and their bytes, and records when each was first seen unused', async (t) => {
  const dir = await makeRepo(t);
  const v1 = await commitVersion(dir, 'notes.bin', bytes(1, 1000));
  const v2 = await commitVersion(dir, 'notes.bin', bytes(2, 2500));
  const v3 = await commitVersion(dir, 'notes.bin', bytes(3, 4000));
  await commitVersion(dir, 'other.bin', bytes(4, 300));
  const annex = await open(t, dir);
  assert.deepEqual(await unusedSummary(annex, T0), { keys: 2, bytes: 3500 });
  const entries = await readUnusedEntries(annex);
  assert.deepEqual([...entries.keys()].sort(), [v1, v2].sort());
  for (const e of entries.values()) assert.equal(e.since, BigInt(T0.getTime()) * 1_000_000_000n);

  // A later look keeps the first time and the numbers; git-annex's dropunused reads those numbers.
  await commitVersion(dir, 'notes.bin', bytes(5, 10)); // v3 becomes an old version
  await git(dir, ['config', 'annex.expireunused', '12h']);
  assert.deepEqual(await unusedSummary(annex, at(2)), { keys: 3, bytes: 7500, expireAfterDays: 0.5 });
  const later = await readUnusedEntries(annex);
  assert.equal(later.get(v1)!.since, entries.get(v1)!.since);
  assert.equal(later.get(v1)!.n, entries.get(v1)!.n);
  assert.equal(later.get(v3)!.n, 3);
  assert.equal(later.get(v3)!.since, BigInt(at(2).getTime()) * 1_000_000_000n);
  const dropped = await gitAnnex(dir, ['dropunused', '--force', String(later.get(v2)!.n)]);
  assert.match(dropped.stdout, /dropunused \d+ ok/);
  assert.equal(await annex.objects.has(v2), false);
  assert.equal(await annex.objects.has(v1), true);
});

test("git-annex's unused times are kept, and so are the summary's when `ferry unused` renumbers", async (t) => {
  const dir = await makeRepo(t);
  await commitVersion(dir, 'a.bin', bytes(1, 100));
  await commitVersion(dir, 'a.bin', bytes(2, 200));
  await gitAnnex(dir, ['unused']);
  const annex = await open(t, dir);
  const byGitAnnex = await readUnusedEntries(annex);
  assert.equal(byGitAnnex.size, 1);
  const [key, first] = [...byGitAnnex][0]!;
  assert.ok(first.since !== undefined);
  await unusedSummary(annex, at(30));
  assert.equal((await readUnusedEntries(annex)).get(key)!.since, first.since);
  await ferry(dir, ['unused']);
  const text = await readFile(join(dir, '.git', 'annex', 'unused'), 'utf8');
  assert.equal(text, `1 ${key} ${formatClock(first.since)}\n`);
});

test('expiry drops only what has been unused long enough, through the drop code, and logs it', async (t) => {
  const dir = await makeRepo(t);
  const v1 = await commitVersion(dir, 'doc.bin', bytes(1, 1000));
  const v2 = await commitVersion(dir, 'doc.bin', bytes(2, 2000));
  const annex = await open(t, dir);
  await unusedSummary(annex, T0); // v1 first seen unused at T0
  const v3 = await commitVersion(dir, 'doc.bin', bytes(3, 3000));
  await unusedSummary(annex, at(5)); // v2 at T0 + 5 days

  // Unset: nothing expires, however old.
  const kept = await expireUnused(annex, at(400));
  assert.deepEqual(kept.dropped, []);
  assert.deepEqual(kept.summary, { keys: 2, bytes: 3000 });

  await git(dir, ['config', 'annex.expireunused', '7d']);
  const early = await expireUnused(annex, at(6));
  assert.deepEqual(early.dropped, []);

  const r = await expireUnused(annex, at(8));
  assert.deepEqual(r.dropped, [v1]);
  assert.deepEqual(r.failed, []);
  assert.deepEqual(r.summary, { keys: 1, bytes: 2000, expireAfterDays: 7 });
  assert.equal(await annex.objects.has(v1), false);
  assert.equal(await annex.objects.has(v2), true);
  assert.equal(await annex.objects.has(v3), true);
  assert.equal(await presentByLog(dir, v1, annex.uuid), false, 'the location log says v1 is gone from here');
  assert.equal(await presentByLog(dir, v2, annex.uuid), true);
  assert.deepEqual([...(await readUnusedEntries(annex)).keys()], [v2]);

  const rest = await expireUnused(annex, at(12));
  assert.deepEqual(rest.dropped, [v2]);
  assert.deepEqual(rest.summary, { keys: 0, bytes: 0, expireAfterDays: 7 });
  // "false" (or anything not a duration) keeps again, as in git-annex.
  await git(dir, ['config', 'annex.expireunused', 'false']);
  await commitVersion(dir, 'doc.bin', bytes(4, 10));
  await unusedSummary(annex, at(12));
  assert.deepEqual((await expireUnused(annex, at(100))).dropped, []);
});

test('content that is used again is never expired, whatever the unused log says', async (t) => {
  const dir = await makeRepo(t);
  const v1 = await commitVersion(dir, 'photo.bin', bytes(1, 500));
  await commitVersion(dir, 'photo.bin', bytes(2, 600));
  await git(dir, ['config', 'annex.expireunused', '1d']);
  const annex = await open(t, dir);
  await unusedSummary(annex, T0);
  assert.ok((await readUnusedEntries(annex)).has(v1));
  // The old version comes back under another name.
  await commitVersion(dir, 'restored.bin', bytes(1, 500));
  const r = await expireUnused(annex, at(30));
  assert.deepEqual(r.dropped, []);
  assert.equal(await annex.objects.has(v1), true);
  assert.deepEqual(r.summary, { keys: 0, bytes: 0, expireAfterDays: 1 });
});
