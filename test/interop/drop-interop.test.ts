// Each tool proves copies held by the other before it drops: with numcopies 2, dropping from an origin whose
// other copies sit in two clones of the other tool is refused while one clone has the content ("1 out of 2":
// the copy was found through the clone's own location log and verified under its lock), and allowed once the
// second clone has it too.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { makeRepo } from '../helpers/repo.js';
import { ferry, git, gitAnnex } from '../helpers/run.js';
import type { RunResult } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';

type Tool = 'ferry' | 'git-annex';

function annex(tool: Tool, dir: string, args: readonly string[], expect: number[] = [0]): Promise<RunResult> {
  return tool === 'ferry' ? ferry(dir, args, { expect }) : gitAnnex(dir, args, { expect });
}

for (const [originTool, cloneTool] of [['git-annex', 'ferry'], ['ferry', 'git-annex']] as const) {
  test(`${originTool} drops only once two ${cloneTool} clones are proven to hold the content`, async (t) => {
    const origin = await makeRepo(t, { init: originTool, description: 'origin', files: { 'f.bin': 'the content\n' } });
    await annex(originTool, origin, ['add', 'f.bin']);
    await git(origin, ['commit', '-q', '-m', 'add']);
    await annex(originTool, origin, ['numcopies', '2']);
    const base = await tempDir(t);
    const clones = [join(base, 'one'), join(base, 'two')];
    for (const [i, clone] of clones.entries()) {
      await git(origin, ['clone', '-q', origin, clone]);
      await annex(cloneTool, clone, ['init', `clone ${i + 1}`]);
      await git(origin, ['remote', 'add', `c${i + 1}`, clone]);
    }

    await annex(cloneTool, clones[0]!, ['get', 'f.bin']);
    await git(origin, ['fetch', '-q', 'c1']);
    const refused = await annex(originTool, origin, ['drop', 'f.bin'], [1]);
    assert.match(refused.stdout + refused.stderr, /Could only verify the existence of 1 out of 2 necessary copies/);
    assert.equal(await readFile(join(origin, 'f.bin'), 'utf8'), 'the content\n', 'still here');

    await annex(cloneTool, clones[1]!, ['get', 'f.bin']);
    await git(origin, ['fetch', '-q', 'c2']);
    await annex(originTool, origin, ['drop', 'f.bin']);
    assert.equal((await gitAnnex(origin, ['find', 'f.bin'])).stdout, '', 'dropped');
    // Every repository's record agrees with what it holds.
    for (const dir of [origin, ...clones]) await gitAnnex(dir, ['fsck', '--quiet', '--numcopies', '1']);
    await ferry(origin, ['fsck', '--numcopies', '1']);
  });
}
