// `ferry demo --once`, what `npm start` runs, as CI runs it (ISSUE 15 "The demo with --once in CI"): the
// whole product on one machine in a temp folder, and an exit status that says whether Bob got Alice's files.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ferry } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';

test('ferry demo --once: Bob has the bytes of every file Alice wrote, and it says how long each took', async (t) => {
  const cwd = await tempDir(t);
  const { stdout } = await ferry(cwd, ['demo', '--once']);
  for (const path of ['hello.txt', 'notes/packing-list.md', 'photos/beach.jpg']) {
    assert.match(stdout, new RegExp(`${path.replace('.', '\\.')}: on Bob's side after \\d+\\.\\d\\d s, the same bytes`), stdout);
  }
  assert.match(stdout, /\$ ferry cloud create cloud type=directory/);
  assert.match(stdout, /\$ ferry join - bob/);
  assert.match(stdout, /status page: http:\/\/127\.0\.0\.1:\d+\/login\?once=/);
});
