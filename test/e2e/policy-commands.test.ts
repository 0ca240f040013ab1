// The setting commands as a user runs them: argument errors, exit statuses, --json records, naming
// repositories, and refusals that write nothing.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { makeRepo } from '../helpers/repo.js';
import { ferry, git, gitAnnex, jsonLines } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';

async function uuidOf(dir: string): Promise<string> {
  return (await git(dir, ['config', 'annex.uuid'])).stdout.trim();
}

test('wanted: prints, sets, refuses a bad expression with position and token and writes nothing', async (t) => {
  const dir = await makeRepo(t, { description: 'home' });
  assert.equal((await ferry(dir, ['wanted', 'here'])).stdout, '\n');
  const set = await ferry(dir, ['wanted', 'here', 'include=*.txt or standard']);
  assert.equal(set.stdout, 'wanted here ok\n(recording state in git...)\n');
  assert.equal((await ferry(dir, ['wanted', '.'])).stdout, 'include=*.txt or standard\n');

  const bad = await ferry(dir, ['wanted', 'here', 'include=*.c or foo=bar'], { expect: [1] });
  assert.equal(bad.stdout, 'wanted here failed\n');
  assert.match(bad.stderr, /near "foo=bar" at position 16 \('foo=bar'\)/);
  assert.match(bad.stderr, /^wanted: 1 failed$/m);
  const unclosed = await ferry(dir, ['required', 'here', '(present'], { expect: [1] });
  assert.match(unclosed.stderr, /missing \) at position 9 \('end'\)/);
  const ingroup = await ferry(dir, ['wanted', 'here', 'ingroup=client'], { expect: [1] });
  assert.match(ingroup.stderr, /near "ingroup=client" at position 1/);
  assert.equal((await gitAnnex(dir, ['wanted', 'here'])).stdout, 'include=*.txt or standard\n', 'unchanged');
  assert.equal((await gitAnnex(dir, ['required', 'here'])).stdout, '\n', 'nothing written');

  const usage = await ferry(dir, ['wanted'], { expect: [2] });
  assert.match(usage.stderr, /Specify a repository\./);
  await ferry(dir, ['wanted', 'here', 'present', 'extra'], { expect: [2] });
  const unknown = await ferry(dir, ['wanted', 'nosuch', 'present'], { expect: [1] });
  assert.match(unknown.stderr, /there is no available git remote named "nosuch"/);
});

test('--json: one record per change or value, in git-annex\'s shape', async (t) => {
  const dir = await makeRepo(t, { description: 'home' });
  const uuid = await uuidOf(dir);
  const [set] = jsonLines((await ferry(dir, ['wanted', '--json', 'here', 'standard'])).stdout);
  assert.deepEqual(set, { command: 'wanted', input: ['here', 'standard'], expression: 'standard', success: true, 'error-messages': [] });
  const [get] = jsonLines((await ferry(dir, ['wanted', '--json', 'here'])).stdout);
  assert.deepEqual(get, { command: 'wanted', input: ['here'], uuid, expression: 'standard', success: true, 'error-messages': [] });
  const bad = await ferry(dir, ['wanted', '--json', 'here', 'copies=x'], { expect: [1] });
  const [failed] = jsonLines(bad.stdout);
  assert.equal(failed!.success, false);
  assert.match(String((failed!['error-messages'] as string[])[0]), /bad number for copies at position 1/);
  await ferry(dir, ['group', 'here', 'client']);
  const [groups] = jsonLines((await ferry(dir, ['group', '--json', 'here'])).stdout);
  assert.deepEqual(groups!.groups, ['client']);
  const [copies] = jsonLines((await ferry(dir, ['numcopies', '--json'])).stdout);
  assert.equal(copies!.numcopies, null);
  const records = jsonLines((await ferry(dir, ['untrust', '--json', 'here', '.'])).stdout);
  assert.deepEqual(records.map((r) => [r.command, r.input, r.success]), [['untrust', ['here'], true], ['untrust', ['.'], true]]);
});

test('numcopies and mincopies: git-annex\'s messages, numbers read as it reads them', async (t) => {
  const dir = await makeRepo(t);
  assert.equal((await ferry(dir, ['numcopies'])).stdout, 'global numcopies is not set\n(default is 1)\n');
  assert.equal((await ferry(dir, ['mincopies'])).stdout, 'global mincopies is not set\n');
  await git(dir, ['config', 'annex.numcopies', '4']);
  assert.equal((await ferry(dir, ['numcopies'])).stdout, (await gitAnnex(dir, ['numcopies'])).stdout);
  assert.equal((await ferry(dir, ['numcopies', '3x'])).stdout, 'numcopies 3 ok\n(recording state in git...)\n');
  assert.equal((await ferry(dir, ['numcopies', '3'])).stdout, 'numcopies 3 ok\n', 'already so: nothing recorded');
  assert.equal((await ferry(dir, ['numcopies'])).stdout, '3\n');
  assert.match((await ferry(dir, ['numcopies', '0'], { expect: [1] })).stderr, /Cannot set numcopies to 0\./);
  assert.match((await ferry(dir, ['mincopies', '0'], { expect: [1] })).stderr, /Cannot set mincopies to 0\./);
  assert.match((await ferry(dir, ['numcopies', 'x'], { expect: [1] })).stderr, /Bad number: x/);
  assert.match((await ferry(dir, ['numcopies', '1', '2'], { expect: [2] })).stderr, /Specify a single number\./);
  assert.equal((await gitAnnex(dir, ['numcopies'])).stdout, '3\n');
});

test('trust commands take several repositories, stop at an unknown one, and trust needs --force', async (t) => {
  const top = await tempDir(t);
  const home = await makeRepo(t, { description: 'home' });
  await git(home, ['commit', '-q', '--allow-empty', '-m', 'start']);
  const other = join(top, 'other');
  await git(top, ['clone', '-q', home, other]);
  await gitAnnex(other, ['init', '-q', 'other disk']);
  // A path remote this repository has never synced with: its uuid is found, as git-annex finds it.
  await git(home, ['remote', 'add', 'backup', other]);
  const otherUuid = await uuidOf(other);

  const refused = await ferry(home, ['trust', 'backup', 'here'], { expect: [1] });
  assert.equal(refused.stdout, 'trust backup failed\ntrust here failed\n');
  assert.match(refused.stderr, /Trusting a repository can lead to data loss\..*use --force/);
  assert.match(refused.stderr, /^trust: 2 failed$/m);
  assert.equal((await git(home, ['config', 'remote.backup.annex-uuid'])).stdout.trim(), otherUuid);

  const partial = await ferry(home, ['untrust', 'backup', 'nosuch', 'here'], { expect: [1] });
  assert.equal(partial.stdout, 'untrust backup ok\n(recording state in git...)\n');
  assert.match(partial.stderr, /there is no available git remote named "nosuch"/);
  const [info] = jsonLines((await gitAnnex(home, ['info', '--json'])).stdout);
  assert.deepEqual((info!['untrusted repositories'] as { uuid: string }[]).map((r) => r.uuid), [otherUuid], 'what was done is kept');

  assert.equal((await ferry(home, ['trust', '--force', otherUuid])).stdout, `trust ${otherUuid} ok\n(recording state in git...)\n`);
  // Its description is known once its git-annex branch is fetched (merged at the start of the command).
  await ferry(home, ['semitrust', 'other disk'], { expect: [1] });
  await git(home, ['fetch', '-q', 'backup']);
  await ferry(home, ['semitrust', 'other disk']);
  await git(home, ['config', 'remote.backup.annex-trustlevel', 'untrusted']);
  const overridden = await ferry(home, ['semitrust', 'backup']);
  assert.match(overridden.stderr, /This remote's trust level is overridden to untrusted\./);
  assert.match((await ferry(home, ['trust'], { expect: [2] })).stderr, /no repository name specified/);
  assert.match((await ferry(home, ['trust', '', '--force'], { expect: [1] })).stderr, /no repository name specified/);
});

test('group, ungroup, groupwanted, describe and dead: arguments and refusals', async (t) => {
  const dir = await makeRepo(t, { description: 'home' });
  assert.match((await ferry(dir, ['group', 'here', 'a', 'b'], { expect: [2] })).stderr, /Specify a repository and a group\./);
  assert.match((await ferry(dir, ['ungroup', 'here'], { expect: [2] })).stderr, /Specify a repository and a group\./);
  assert.match((await ferry(dir, ['group', 'here', 'two words'], { expect: [2] })).stderr, /a group name cannot be empty or contain white space/);
  assert.match((await ferry(dir, ['groupwanted'], { expect: [2] })).stderr, /Specify a group\./);
  await ferry(dir, ['group', 'here', 'client']);
  await ferry(dir, ['group', 'here', 'backup']);
  assert.equal((await ferry(dir, ['group', 'here'])).stdout, 'backup client\n');
  assert.equal((await ferry(dir, ['ungroup', 'here', 'nosuch'])).stdout, 'ungroup here ok\n(recording state in git...)\n');
  assert.equal((await ferry(dir, ['groupwanted', 'client', 'standard and present'])).stdout, 'groupwanted client ok\n(recording state in git...)\n');
  assert.equal((await ferry(dir, ['groupwanted', 'client'])).stdout, 'standard and present\n');

  assert.match((await ferry(dir, ['describe', 'here'], { expect: [2] })).stderr, /Specify a repository and a description\./);
  assert.equal((await ferry(dir, ['describe', 'here', 'my', 'laptop'])).stdout, 'describe here ok\n(recording state in git...)\n');
  assert.equal((await ferry(dir, ['describe', 'my laptop', 'renamed'])).stdout, 'describe my laptop ok\n(recording state in git...)\n');
  assert.equal((await ferry(dir, ['wanted', 'renamed'])).stdout, '\n', 'found by its new description');

  assert.match((await ferry(dir, ['dead'], { expect: [2] })).stderr, /no repository name specified/);
  assert.match((await ferry(dir, ['dead', '--key', 'not-a-key'], { expect: [2] })).stderr, /invalid key/);
  assert.match((await ferry(dir, ['dead', 'here', '--key', 'SHA256E-s1--00'], { expect: [2] })).stderr, /not both/);
  assert.equal((await ferry(dir, ['dead', '--key', 'SHA256E-s1--00'])).stdout, 'dead SHA256E-s1--00 ok\n');
  assert.equal((await ferry(dir, ['dead', 'here'])).stdout, 'dead here ok\n(recording state in git...)\n');
  assert.equal((await ferry(dir, ['group', 'here'])).stdout, '\n', 'a dead repository leaves its groups');
  assert.match((await ferry(dir, ['help', 'wanted'])).stdout, /usage: ferry wanted REPO \[EXPRESSION\]/);
});
