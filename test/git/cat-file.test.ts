import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CatFile } from '../../src/git/index.js';
import { git } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';

test('a CatFile used again after close() answers: the old process exiting later fails nothing', async (t) => {
  const dir = await tempDir(t);
  await git(dir, ['init', '-q']);
  await git(dir, ['commit', '-q', '--allow-empty', '-m', 'one']);
  const head = (await git(dir, ['rev-parse', 'HEAD'])).stdout.trim();
  const cat = new CatFile({ cwd: dir });
  for (let round = 0; round < 20; round++) {
    assert.equal((await cat.get(head))?.type, 'commit');
    cat.close();
    // Requested at once: the closed process is still exiting while the new one answers.
    const again = await Promise.all([cat.get(head), cat.info(head), cat.get('HEAD:missing')]);
    assert.deepEqual(again.map((o) => o?.type), ['commit', 'commit', undefined]);
  }
  cat.close();
});
