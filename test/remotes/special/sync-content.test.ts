// A special remote in everyday use: sync --content sends it what it wants and gets from it what this
// repository wants (another clone, whose only way to the content is the remote), -J and --json-progress work
// through it as through a git remote.
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { bytes, makeRepo } from '../../helpers/repo.js';
import { ferry, git, jsonLines } from '../../helpers/run.js';
import { tempDir } from '../../helpers/tmp.js';

test('sync --content moves content through an encrypted special remote between two clones', async (t) => {
  const files = { 'a.bin': bytes(5, 2_500_000), 'docs/b.txt': Buffer.from('bee\n'), 'c.bin': bytes(6, 100_000) };
  const origin = await makeRepo(t, { files });
  await ferry(origin, ['add', '.']);
  await git(origin, ['commit', '-q', '-m', 'add']);
  const store = join(await tempDir(t), 'store');
  await mkdir(store);
  await ferry(origin, ['initremote', 'cloud', 'type=directory', `directory=${store}`, 'encryption=shared', 'chunk=1MiB']);

  const sent = await ferry(origin, ['copy', '--to', 'cloud', '-J', '2', '--json', '--json-progress', 'a.bin']);
  const records = jsonLines(sent.stdout);
  assert.ok(records.some((r) => typeof r['byte-progress'] === 'number' && (r['byte-progress']) > 0), 'progress is reported');
  assert.equal(records.filter((r) => r.success === true).length, 1);
  // The rest goes with sync: no preferred content set means the remote wants everything.
  const synced = await ferry(origin, ['sync', '--content']);
  assert.match(synced.stdout, /copy docs\/b\.txt \(to cloud\.\.\.\) ok/);
  assert.match(synced.stdout, /copy c\.bin \(to cloud\.\.\.\) ok/);

  const clone = join(await tempDir(t), 'clone');
  await git(origin, ['clone', '-q', origin, clone]);
  await ferry(clone, ['init', 'clone']);
  await git(clone, ['config', 'remote.origin.annex-ignore', 'true']); // content only from the cloud
  await ferry(clone, ['enableremote', 'cloud', `directory=${store}`]);
  const got = await ferry(clone, ['sync', '--content', '-J', '3']);
  for (const name of Object.keys(files)) assert.match(got.stdout, new RegExp(`get ${name.replace('.', '\\.')} \\(from cloud\\.\\.\\.\\) ok`));
  for (const [name, content] of Object.entries(files)) assert.ok((await readFile(join(clone, name))).equals(content), name);
  const where = jsonLines((await ferry(clone, ['whereis', '--json', 'a.bin'])).stdout)[0]!;
  assert.equal((where.whereis as unknown[]).length, 3, 'origin, cloud and the clone have it');
});
