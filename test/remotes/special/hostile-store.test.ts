// Transfers through a special remote whose store misbehaves (FERRY_TEST_STORE_FAULTS: thrown errors, delays,
// truncated reads at 20 %, silently corrupted reads at 5 %, under the retry layer) still complete: 200 files
// go up and come back, every key verified on arrival, and real git-annex then finds every object intact.
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { bytes, makeRepo } from '../../helpers/repo.js';
import { ferry, git, gitAnnex } from '../../helpers/run.js';
import { tempDir } from '../../helpers/tmp.js';

const FILES = 200;

for (const encryption of ['none', 'shared']) {
  test(`200 files to and from a chunked encryption=${encryption} remote whose store fails 20 % of the time`, async (t) => {
    const files: Record<string, Buffer> = {};
    for (let i = 0; i < FILES; i++) files[`d${i % 10}/f${i}.bin`] = bytes(1000 + i, 1 + ((i * 7919) % 60_000));
    const repo = await makeRepo(t, { files });
    await ferry(repo, ['add', '.']);
    await git(repo, ['commit', '-q', '-m', 'add']);
    const store = join(await tempDir(t), 'store');
    await mkdir(store);
    await ferry(repo, ['initremote', 'flaky', 'type=directory', `directory=${store}`, `encryption=${encryption}`, 'chunk=16KiB']);

    const up = await ferry(repo, ['copy', '--to', 'flaky', '.'], { env: { FERRY_TEST_STORE_FAULTS: '1:0.2' } });
    assert.equal(up.stdout.split('\n').filter((l) => l.endsWith(' ok')).length, FILES, 'every file sent');
    await ferry(repo, ['drop', '.']);
    const down = await ferry(repo, ['get', '.'], { env: { FERRY_TEST_STORE_FAULTS: '2:0.2' } });
    assert.equal(down.stdout.split('\n').filter((l) => l.endsWith(' ok')).length, FILES, 'every file fetched');
    for (const [name, content] of Object.entries(files)) assert.ok((await readFile(join(repo, name))).equals(content), name);
    await ferry(repo, ['fsck']);
    // git-annex reads every object back from the store (no faults there) and checks it against its key.
    const fsck = await gitAnnex(repo, ['fsck', '--from', 'flaky', '--quiet'], { env: {}, expect: [0, 1] });
    assert.equal(fsck.code, 0, `git-annex fsck --from: ${fsck.stdout}${fsck.stderr}`);
  });
}
