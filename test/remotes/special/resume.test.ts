// kill -9 in the middle of a chunked transfer, then the same command again: an upload sends only the
// chunks that were not stored yet, a download resumes from the partial file and fetches only the chunks
// it lacks. Meanwhile nothing claims what is not there: no location log for the half-stored key, no object
// for the half-fetched one.
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { bytes, makeRepo } from '../../helpers/repo.js';
import { ferry, git } from '../../helpers/run.js';
import { tempDir } from '../../helpers/tmp.js';
import { readTrace } from '../../helpers/trace.js';

const CHUNK = 64 * 1024;
const CHUNKS = 10;

for (const encryption of ['none', 'shared']) {
  test(`a killed chunked transfer resumes without sending a complete chunk again (encryption=${encryption})`, async (t) => {
    const content = bytes(77, CHUNK * CHUNKS - 1000);
    const repo = await makeRepo(t, { files: { 'big.bin': content } });
    await ferry(repo, ['add', 'big.bin']);
    await git(repo, ['commit', '-q', '-m', 'add']);
    const dir = await tempDir(t);
    const store = join(dir, 'store');
    await mkdir(store);
    await ferry(repo, ['initremote', 'cloud', 'type=directory', `directory=${store}`, `encryption=${encryption}`, `chunk=${CHUNK}`]);

    const killedUp = await ferry(repo, ['copy', '--to', 'cloud', 'big.bin'], { env: { FERRY_TEST_CRASH: 'piece-stored:4' }, expect: [] });
    assert.notEqual(killedUp.code, 0, 'killed');
    assert.doesNotMatch((await ferry(repo, ['whereis', 'big.bin'])).stdout, /cloud/, 'not logged while half stored');
    // Pieces go up several at once: another may have landed before the fourth's checkpoint killed the copy.
    const stored = await storedChunks(store);
    assert.ok(stored >= 4 && stored < CHUNKS, `${stored} chunks stored before the kill`);
    const upTrace = join(dir, 'up.trace');
    await ferry(repo, ['copy', '--to', 'cloud', 'big.bin'], { env: { FERRY_TEST_TRACE: upTrace } });
    const up = await readTrace(upTrace);
    assert.equal(up.filter((e) => e.event === 'piece-kept').length, stored, 'every stored chunk is kept');
    assert.equal(up.filter((e) => e.event === 'piece-stored').length, CHUNKS - stored, 'only the rest is sent');
    assert.match((await ferry(repo, ['whereis', 'big.bin'])).stdout, /cloud/);

    await ferry(repo, ['drop', 'big.bin']);
    const killedDown = await ferry(repo, ['get', 'big.bin'], { env: { FERRY_TEST_CRASH: 'piece-retrieved:4' }, expect: [] });
    assert.notEqual(killedDown.code, 0, 'killed');
    assert.equal((await ferry(repo, ['find', 'big.bin'])).stdout, '', 'no object while half fetched');
    const downTrace = join(dir, 'down.trace');
    await ferry(repo, ['get', 'big.bin'], { env: { FERRY_TEST_TRACE: downTrace } });
    const down = await readTrace(downTrace);
    assert.equal(down.filter((e) => e.event === 'piece-retrieved').length, CHUNKS - 4, 'only the missing chunks are fetched');
    assert.ok((await readFile(join(repo, 'big.bin'))).equals(content));
    await ferry(repo, ['fsck', '--from', 'cloud']);
  });
}

/** The objects in a directory store (each a chunk here), not its temp files. */
async function storedChunks(store: string): Promise<number> {
  const entries = await readdir(store, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && !relative(store, e.parentPath).split('/').includes('tmp')).length;
}
