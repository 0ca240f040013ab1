// Preferred content, groups, trust and copies settings against real git-annex 10.20230126: for each
// expression, ferry's verdicts on every file equal `git annex find --want-get/--want-drop` (here and for a
// remote), its parser accepts what matchexpression accepts, and settings written by either tool's commands
// are read back by the other's.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  Annex, AnnexRepo, Policy, STANDARD_GROUPS, annexedFiles, checkPreferredContentExpression, parseLenient, parsePreferredTerm,
  policyItems, standardExpression,
} from '../../src/annex/index.js';
import { useTestEnv } from '../helpers/env.js';
import { bytes, writeTree } from '../helpers/repo.js';
import { ferry, git, gitAnnex, jsonLines } from '../helpers/run.js';
import { removeTree, tempDir } from '../helpers/tmp.js';

useTestEnv();

const FILES = {
  'a.txt': 'alpha\n',
  'dir/b.mp3': bytes(1, 2000),
  'archive/c.txt': 'archived\n',
  'public/d.txt': 'public\n',
  'big.bin': bytes(2, 3000),
  'x/public/e.txt': 'nested public\n',
  // lackingcopies= reads it, approxlackingcopies= does not.
  '.gitattributes': '*.mp3 annex.numcopies=3\n',
};

interface Verdict {
  readonly get: string[];
  readonly drop: string[];
}

async function uuidOf(dir: string): Promise<string> {
  return (await git(dir, ['config', 'annex.uuid'])).stdout.trim();
}

async function keyOf(dir: string, file: string): Promise<string> {
  return (await gitAnnex(dir, ['lookupkey', file])).stdout.trim();
}

/** git-annex's lists of files `repo` wants to get and to drop. */
async function annexVerdict(dir: string, repo: string): Promise<Verdict> {
  const list = async (option: string) => {
    const args = repo === 'here' ? [`--${option}`] : [`--${option}-by`, repo];
    return (await gitAnnex(dir, ['find', ...args])).stdout.split('\n').filter((l) => l !== '').sort();
  };
  return { get: await list('want-get'), drop: await list('want-drop') };
}

/** ferry's answer to the same questions, from a fresh look at the repository. */
async function ferryVerdict(dir: string, uuid: string): Promise<Verdict> {
  const repo = await AnnexRepo.open(dir);
  const annex = new Annex(repo, repo.requireInitialised());
  const policy = await Policy.load(annex);
  try {
    const files = await annexedFiles(annex);
    const items = await policyItems(annex, files);
    const get: string[] = [];
    const drop: string[] = [];
    for (const item of items) {
      if (await policy.wantsToHave(uuid, item)) get.push(item.path!);
      if (!(await policy.wantsToKeep(uuid, item))) drop.push(item.path!);
    }
    return { get: get.sort(), drop: drop.sort() };
  } finally {
    policy.close();
    annex.close();
  }
}

describe('preferred content verdicts equal git-annex\'s', () => {
  let home = '';
  let top = '';
  const uuids: Record<string, string> = {};

  before(async () => {
    top = await tempDir({ after: () => undefined });
    home = join(top, 'home');
    await git(top, ['init', '-q', home]);
    await gitAnnex(home, ['init', '-q', 'home']);
    await writeTree(home, FILES);
    await gitAnnex(home, ['add', '-q', '.']);
    await git(home, ['commit', '-q', '-m', 'files']);
    for (const name of ['bee', 'cee']) {
      await git(top, ['clone', '-q', home, name]);
      await gitAnnex(join(top, name), ['init', '-q', name]);
      await git(home, ['remote', 'add', name, join(top, name)]);
    }
    await gitAnnex(home, ['sync', '-q', '--no-push', 'bee', 'cee']);
    for (const name of ['bee', 'cee']) uuids[name] = await uuidOf(join(top, name));
    uuids.here = await uuidOf(home);
    const at = async (file: string, ...names: string[]) => {
      for (const n of names) await gitAnnex(home, ['setpresentkey', await keyOf(home, file), uuids[n]!, '1']);
    };
    await at('a.txt', 'bee');
    await at('dir/b.mp3', 'bee', 'cee');
    await at('archive/c.txt', 'cee');
    await at('big.bin', 'bee');
    await gitAnnex(home, ['drop', '-q', '--force', 'archive/c.txt', 'big.bin']);
    await gitAnnex(home, ['group', 'here', 'client']);
    await gitAnnex(home, ['group', 'bee', 'backup']);
    await gitAnnex(home, ['group', 'cee', 'archive']);
    await gitAnnex(home, ['untrust', 'cee']);
    await gitAnnex(home, ['numcopies', '2']);
    await gitAnnex(home, ['groupwanted', 'client', 'include=dir/* or copies=archive:1']);
    await gitAnnex(home, ['metadata', '-q', '-s', 'tag=Foo', 'a.txt']);
    await gitAnnex(home, ['metadata', '-q', '-s', 'year=2001', 'dir/b.mp3']);
    await gitAnnex(home, ['metadata', '-q', '-s', 'year=1999', 'public/d.txt']);
  });
  after(() => removeTree(top));

  const expressions = [
    'anything', 'nothing', 'present', 'not present', 'include=*.txt', 'exclude=archive/*', 'include=*/public/*',
    'largerthan=1kb', 'smallerthan=1kb', 'copies=1', 'copies=2', 'copies=3', 'copies=backup:1', 'copies=archive:1',
    'copies=client:1', 'copies=untrusted:1', 'copies=semitrusted+:2', 'copies=trusted:1', 'lackingcopies=1',
    'lackingcopies=2', 'approxlackingcopies=1', 'inallgroup=backup', 'inallgroup=client', 'inallgroup=nosuch',
    'inpreferreddir', 'standard', 'groupwanted', 'securehash', 'inbackend=SHA256E', 'inbackend=WORM', 'unused',
    'metadata=tag=foo', 'metadata=tag=f*', 'metadata=year>2000', 'metadata=year<=1999', 'metadata=tag-lastchanged=*',
    'include=*.txt and not copies=2', '(include=dir/* or include=public/*) and present',
    'not (copies=backup:1 or lackingcopies=1)', 'include=*.txt or include=*.bin and present',
    ...STANDARD_GROUPS.map(standardExpression),
    // Forms ferry refuses to set but must read as git-annex does.
    'include=*.txt or', '(include=*.txt', 'present (include=*.txt or copies=2)', 'and', '()',
  ];

  it('here: find --want-get and --want-drop', async () => {
    const seen = new Set<string>();
    for (const expr of expressions) {
      await gitAnnex(home, ['wanted', 'here', expr]);
      const theirs = await annexVerdict(home, 'here');
      assert.deepEqual(await ferryVerdict(home, uuids.here!), theirs, `wanted here "${expr}"`);
      seen.add(JSON.stringify(theirs));
    }
    assert.ok(seen.size >= 15, `the expressions tell the files apart (${seen.size} different verdicts)`);
  });

  it('a remote: find --want-get-by and --want-drop-by, with its own groups', async () => {
    const cases = ['standard', 'copies=backup:2', 'inallgroup=backup', 'present', 'lackingcopies=1', 'not copies=cee:1', 'groupwanted',
      'copies=trusted:1', 'copies=semitrusted+:3'];
    for (const expr of cases) {
      await gitAnnex(home, ['wanted', 'bee', expr]);
      assert.deepEqual(await ferryVerdict(home, uuids.bee!), await annexVerdict(home, 'bee'), `wanted bee "${expr}"`);
    }
    // A trust level forced by git config counts as the repository's trust.
    await git(home, ['config', 'remote.cee.annex-trustlevel', 'trusted']);
    try {
      for (const expr of ['copies=trusted:1', 'lackingcopies=1', 'copies=semitrusted+:3']) {
        await gitAnnex(home, ['wanted', 'bee', expr]);
        assert.deepEqual(await ferryVerdict(home, uuids.bee!), await annexVerdict(home, 'bee'), `cee trusted by config: "${expr}"`);
      }
    } finally {
      await git(home, ['config', '--unset', 'remote.cee.annex-trustlevel']);
    }
  });

  it('required content is wanted as well, and a repository with neither wants nothing to get', async () => {
    await gitAnnex(home, ['wanted', 'here', 'include=*.bin']);
    await gitAnnex(home, ['required', 'here', 'include=dir/*']);
    assert.deepEqual(await ferryVerdict(home, uuids.here!), await annexVerdict(home, 'here'));
    await gitAnnex(home, ['required', 'here', '']);
    await gitAnnex(home, ['wanted', 'here', '']);
    const none = await annexVerdict(home, 'here');
    assert.deepEqual(none.get, []);
    assert.deepEqual(await ferryVerdict(home, uuids.here!), none);
  });
});

describe('expressions: ferry accepts what git-annex accepts, and reads its forgiving forms the same way', () => {
  let dir = '';
  before(async () => {
    dir = await tempDir({ after: () => undefined });
    await git(dir, ['init', '-q']);
    await gitAnnex(dir, ['init', '-q', 'm']);
  });
  after(() => removeTree(dir));

  async function annexAccepts(expr: string): Promise<boolean> {
    const r = await gitAnnex(dir, ['matchexpression', expr, '--file=x', '--size=1'], { expect: [] });
    return !/bad expression/.test(r.stderr);
  }

  it('the standard groups\' expressions are git-annex\'s, byte for byte (vicfg lists them)', async () => {
    const editor = join(dir, '.git', 'copy-vicfg.sh');
    const copy = join(dir, '.git', 'vicfg.txt');
    await writeFile(editor, `#!/bin/sh\ncp "$1" '${copy}'\n`, { mode: 0o755 });
    await gitAnnex(dir, ['vicfg'], { env: { EDITOR: editor, VISUAL: editor } });
    const listed = new Map([...(await readFile(copy, 'utf8')).matchAll(/^# standard (\S+) = (.*)$/gm)].map((m) => [m[1]!, m[2]!]));
    assert.deepEqual([...listed.keys()].sort(), [...STANDARD_GROUPS].sort());
    for (const g of STANDARD_GROUPS) assert.equal(standardExpression(g), listed.get(g), g);
  });

  it('terms: the same words are known and refused (ingroup= is not a term of 10.20230126)', async () => {
    const words = ['include=x', 'exclude=x', 'largerthan=1mb', 'smallerthan=10', 'copies=2', 'copies=g:2', 'copies=trusted+:1',
      'lackingcopies=1', 'approxlackingcopies=1', 'inallgroup=g', 'present', 'inpreferreddir', 'standard', 'groupwanted',
      'securehash', 'inbackend=SHA1', 'metadata=a=b', 'metadata=a<3', 'unused', 'anything', 'nothing',
      'ingroup=x', 'onlyingroup=x', 'in=here', 'largerthan=xx', 'copies=x', 'copies=a:b:1', 'lackingcopies=x', 'metadata=-a=b',
      'foo', 'mimetype=text/plain', 'fullyinpreferreddir'];
    for (const w of words) {
      let ours = true;
      try {
        checkPreferredContentExpression(w);
      } catch {
        ours = false;
      }
      assert.equal(ours, await annexAccepts(w), w);
    }
  });

  it('files: matchexpression and ferry\'s reading of the same expression agree', async () => {
    const cases = ['include=a* or include=*b', '(include=a* (include=*b or include=*c))', 'include=a* or', 'not include=a* include=*b',
      '(include=a* or include=*b', 'include=a* ) or include=*c', 'include=[]a]* or include=[!x]b'];
    for (const expr of cases) {
      const m = parseLenient(expr, parsePreferredTerm);
      assert.ok(!('problems' in m), expr);
      for (const file of ['ab', 'ac', 'xb', 'xc', 'a', ']b', 'zz']) {
        const r = await gitAnnex(dir, ['matchexpression', expr, `--file=${file}`, '--size=1'], { expect: [0, 1] });
        const ours = evaluateGlobs(m, file);
        assert.equal(ours, r.code === 0, `${expr} on ${file}`);
      }
    }
  });
});

/** Evaluates an expression of include= terms on a path (enough for the forgiving-syntax cases). */
function evaluateGlobs(e: ReturnType<typeof parseLenient<ReturnType<typeof parsePreferredTerm>>>, path: string): boolean {
  if ('problems' in e) throw new Error(e.problems.join());
  switch (e.kind) {
    case 'any': return true;
    case 'and': return evaluateGlobs(e.left, path) && evaluateGlobs(e.right, path);
    case 'or': return evaluateGlobs(e.left, path) || evaluateGlobs(e.right, path);
    case 'not': return !evaluateGlobs(e.operand, path);
    case 'term': {
      const t = e.term;
      if (typeof t === 'string' || t.kind !== 'include') throw new Error('only include= here');
      return t.glob.test(path);
    }
  }
}

describe('settings written by one tool are read by the other', () => {
  let top = '';
  let home = '';
  let zedUuid = '';
  let homeUuid = '';
  before(async () => {
    top = await tempDir({ after: () => undefined });
    home = join(top, 'home');
    await git(top, ['init', '-q', home]);
    await gitAnnex(home, ['init', '-q', 'home']);
    await git(home, ['commit', '-q', '--allow-empty', '-m', 'start']);
    await git(top, ['clone', '-q', home, 'zed']);
    await gitAnnex(join(top, 'zed'), ['init', '-q', 'zed']);
    await git(home, ['remote', 'add', 'zed', join(top, 'zed')]);
    await gitAnnex(home, ['sync', '-q', '--no-push', 'zed']);
    zedUuid = await uuidOf(join(top, 'zed'));
    homeUuid = await uuidOf(home);
  });
  after(() => removeTree(top));

  const both = async (args: string[]) => [(await ferry(home, args)).stdout, (await gitAnnex(home, args)).stdout];

  async function trustLevels(): Promise<Record<string, string>> {
    const [info] = jsonLines((await gitAnnex(home, ['info', '--json'])).stdout);
    const levels: Record<string, string> = {};
    for (const level of ['trusted', 'semitrusted', 'untrusted']) {
      for (const r of info![`${level} repositories`] as { uuid: string; description: string }[]) levels[r.uuid] = `${level} ${r.description}`;
    }
    return levels;
  }

  it('ferry writes, git-annex reads', async () => {
    await ferry(home, ['wanted', 'here', 'include=*.txt or standard']);
    await ferry(home, ['required', 'zed', 'largerthan=1mb']);
    await ferry(home, ['group', 'here', 'client']);
    await ferry(home, ['group', 'here', 'archive']);
    await ferry(home, ['group', 'zed', 'backup']);
    await ferry(home, ['ungroup', 'here', 'archive']);
    await ferry(home, ['groupwanted', 'backup', 'not copies=backup:2']);
    await ferry(home, ['numcopies', '3']);
    await ferry(home, ['mincopies', '2']);
    await ferry(home, ['untrust', 'zed']);
    await ferry(home, ['describe', 'here', 'my', 'laptop']);
    const read = async (args: string[]) => (await gitAnnex(home, args)).stdout;
    assert.equal(await read(['wanted', 'here']), 'include=*.txt or standard\n');
    assert.equal(await read(['required', 'zed']), 'largerthan=1mb\n');
    assert.equal(await read(['group', 'here']), 'client\n');
    assert.equal(await read(['group', 'zed']), 'backup\n');
    assert.equal(await read(['groupwanted', 'backup']), 'not copies=backup:2\n');
    assert.equal(await read(['numcopies']), '3\n');
    assert.equal(await read(['mincopies']), '2\n');
    const levels = await trustLevels();
    assert.equal(levels[zedUuid], 'untrusted [zed]');
    assert.equal(levels[homeUuid], 'semitrusted my laptop');
    await ferry(home, ['trust', '--force', 'zed']);
    assert.equal((await trustLevels())[zedUuid], 'trusted [zed]');
    await ferry(home, ['semitrust', 'zed']);
    assert.equal((await trustLevels())[zedUuid], 'semitrusted [zed]');
    await ferry(home, ['dead', 'zed']);
    assert.equal((await trustLevels())[zedUuid], undefined, 'git-annex hides dead repositories');
    assert.equal(await read(['group', 'zed']), '\n', 'dead leaves every group');
    // git-annex reads the same text from either tool: ferry's answers equal its own.
    for (const args of [['wanted', 'here'], ['required', 'zed'], ['group', 'here'], ['groupwanted', 'backup'], ['numcopies'], ['mincopies']]) {
      const [ours, theirs] = await both(args);
      assert.equal(ours, theirs, args.join(' '));
    }
  });

  it('git-annex writes, ferry reads', async () => {
    await gitAnnex(home, ['semitrust', 'zed']);
    await gitAnnex(home, ['wanted', 'zed', 'standard']);
    await gitAnnex(home, ['required', 'here', 'include=important/*']);
    await gitAnnex(home, ['group', 'zed', 'transfer']);
    await gitAnnex(home, ['group', 'zed', 'archive']);
    await gitAnnex(home, ['groupwanted', 'transfer', 'present and (include=a or include=b)']);
    await gitAnnex(home, ['numcopies', '4']);
    await gitAnnex(home, ['mincopies', '3']);
    await gitAnnex(home, ['untrust', 'here']);
    await gitAnnex(home, ['describe', 'zed', 'zed', 'disk']);
    for (const args of [['wanted', 'zed'], ['required', 'here'], ['group', 'zed'], ['groupwanted', 'transfer'], ['numcopies'], ['mincopies']]) {
      const [ours, theirs] = await both(args);
      assert.equal(ours, theirs, args.join(' '));
    }
    assert.equal((await ferry(home, ['group', 'zed'])).stdout, 'archive transfer\n');
    const [info] = jsonLines((await ferry(home, ['info', '--json'])).stdout);
    const untrusted = (info!['untrusted repositories'] as { uuid: string }[]).map((r) => r.uuid);
    assert.deepEqual(untrusted, [homeUuid]);
    const semi = info!['semitrusted repositories'] as { uuid: string; description: string }[];
    assert.equal(semi.find((r) => r.uuid === zedUuid)?.description, 'zed disk [zed]');
    // ferry finds the repository by its new description, as git-annex does.
    assert.equal((await ferry(home, ['wanted', 'zed disk'])).stdout, 'standard\n');
  });

  it('dead --key writes the location log git-annex writes', async () => {
    await writeTree(home, { 'k1.txt': 'lost one\n', 'k2.txt': 'lost two\n' });
    // One clock for both keys' history, so their logs can be compared byte for byte.
    const clock = { env: { GIT_ANNEX_VECTOR_CLOCK: '1700000000' } };
    await gitAnnex(home, ['add', '-q', 'k1.txt', 'k2.txt'], clock);
    await gitAnnex(home, ['drop', '-q', '--force', 'k1.txt', 'k2.txt'], clock);
    const [k1, k2] = [await keyOf(home, 'k1.txt'), await keyOf(home, 'k2.txt')];
    const log = async (k: string) => {
      const path = (await gitAnnex(home, ['examinekey', '--format=${hashdirlower}${key}.log', k])).stdout;
      return (await git(home, ['cat-file', '-p', `git-annex:${path}`])).stdout;
    };
    const absent = await log(k1);
    await gitAnnex(home, ['dead', '--key', k1]);
    await ferry(home, ['dead', '--key', k2]);
    assert.equal(await log(k2), await log(k1));
    assert.match(await log(k1), new RegExp(`^\\d+(\\.\\d+)?s X ${homeUuid}\n$`));
    assert.notEqual(await log(k1), absent);
    await writeTree(home, { 'k3.txt': 'still here\n' });
    await gitAnnex(home, ['add', '-q', 'k3.txt']);
    const k3 = await keyOf(home, 'k3.txt');
    const refused = await ferry(home, ['dead', '--key', k3], { expect: [1] });
    assert.match(refused.stderr, /This key is still known to be present in some locations; not marking as dead\./);
    assert.equal(refused.stdout, `dead ${k3} failed\n`);
    await gitAnnex(home, ['dead', '--key', k3], { expect: [1] });
  });
});
