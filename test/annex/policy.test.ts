import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  Annex, AnnexRepo, ExpressionError, NumCopies, Policy, STANDARD_GROUPS, checkPreferredContentExpression, markKeyDead,
  parseLenient, parsePreferredTerm, renderExpression, standardExpression,
} from '../../src/annex/index.js';
import type { PolicyItem, PolicyProbes, PolicySettings, Term, TrustLevel } from '../../src/annex/index.js';
import { parseExpression } from '../../src/annex/policy/expression.js';
import type { Expr } from '../../src/annex/policy/expression.js';
import { globToRegExp } from '../../src/annex/policy/expression.js';
import { useTestEnv } from '../helpers/env.js';
import { makeRepo } from '../helpers/repo.js';
import { ferry, git } from '../helpers/run.js';

useTestEnv();

const HERE = 'here-uuid';
const [R1, R2, R3] = ['r1-uuid', 'r2-uuid', 'r3-uuid'];
const KEY = 'SHA256E-s100--0000000000000000000000000000000000000000000000000000000000000000.txt';

interface World {
  preferred?: Record<string, string>;
  required?: Record<string, string>;
  groups?: Record<string, string[]>;
  groupWanted?: Record<string, string>;
  trust?: Record<string, TrustLevel>;
  /** Whether this repository's object store has KEY. */
  hereHas?: boolean;
  /** numcopies that lackingcopies compares with (attribute or numcopies.log). */
  globalNumCopies?: number;
  numcopies?: number;
  mincopies?: number;
}

/** A Policy over plain data: the settings a repository's logs would hold, and answers to the lookups. */
function policyOf(w: World): Policy {
  const map = (r: Record<string, string> | undefined) => new Map(Object.entries(r ?? {}));
  const settings: PolicySettings = {
    here: HERE,
    preferred: map(w.preferred),
    required: map(w.required),
    groups: new Map(Object.entries(w.groups ?? {}).map(([u, gs]) => [u, new Set(gs)])),
    groupWanted: map(w.groupWanted),
    trust: (u) => w.trust?.[u] ?? 'semitrusted',
    remoteConfig: () => undefined,
  };
  const probes: PolicyProbes = {
    hasContentHere: () => Promise.resolve(w.hereHas ?? false),
    metadata: () => Promise.resolve(new Map()),
    isUnused: () => Promise.resolve(false),
    copies: {
      forFile: () => Promise.resolve(w.numcopies ?? 1),
      minForFile: () => Promise.resolve(w.mincopies ?? 1),
      globalForFile: () => Promise.resolve(w.globalNumCopies ?? 1),
    },
    close: () => undefined,
  };
  return new Policy(settings, probes);
}

function item(locations: string[], path: string | null = 'dir/file.txt'): PolicyItem {
  return { key: KEY, size: 100, locations: new Set(locations), ...(path === null ? {} : { path }) };
}

/** The wanted verdicts of HERE for `expr`: [get decision, keep decision (as if already dropped)]. */
async function verdicts(expr: string, locations: string[], w: World = {}, path?: string | null): Promise<[boolean, boolean]> {
  const p = policyOf({ ...w, preferred: { [HERE]: expr } });
  const it = item(locations, path === undefined ? 'dir/file.txt' : path);
  return [await p.wantsToHave(HERE, it), await p.wantsToKeep(HERE, it)];
}

describe('expression parsing', () => {
  it('parses every standard group expression strictly, and the lenient reader agrees', () => {
    for (const g of STANDARD_GROUPS) {
      const text = standardExpression(g);
      const strict = parseExpression(text, parsePreferredTerm);
      const lenient = parseLenient(text, parsePreferredTerm);
      assert.ok(!('problems' in lenient), g);
      assert.deepEqual(shape(lenient as Expr<Term>), shape(strict), g);
    }
  });

  it('refuses a bad expression with the position and the token', () => {
    const cases: [string, number, string, RegExp][] = [
      ['include=*.c or foo=bar', 15, 'foo=bar', /near "foo=bar"/],
      ['largerthan=xx', 0, 'largerthan=xx', /bad size/],
      ['copies=x', 0, 'copies=x', /bad number for copies/],
      ['include=*.c or (', 16, 'end', /empty expression/],
      ['(include=*.c', 12, 'end', /missing \)/],
      ['include=*.c )', 12, ')', /unmatched \)/],
      ['and present', 0, 'and', /expected a term/],
      ['(present (copies=1 or copies=2))', 9, '(', /write 'and' before/],
      ['ingroup=x', 0, 'ingroup=x', /near "ingroup=x"/],
    ];
    for (const [text, position, token, problem] of cases) {
      assert.throws(() => checkPreferredContentExpression(text), (err: unknown) => {
        assert.ok(err instanceof ExpressionError, text);
        assert.equal(err.data.position, position, text);
        assert.equal(err.data.token, token, text);
        assert.match(err.message, problem);
        return true;
      });
    }
  });

  it('accepts the forms git-annex accepts: implicit and, not before groups, standard and groupwanted anywhere', () => {
    for (const text of ['', 'present include=*.mp3', 'not (copies=2 or inallgroup=client)', 'standard or groupwanted', 'metadata=tag=x',
      'copies=semitrusted+:2', 'copies=archive:1', 'lackingcopies=1', 'approxlackingcopies=1', 'inbackend=SHA256E', 'securehash', 'unused']) {
      checkPreferredContentExpression(text);
    }
  });

  const words = fc.constantFrom(
    'present', 'anything', 'nothing', 'include=*.mp3', 'exclude=archive/*', 'largerthan=10mb', 'smallerthan=1kb', 'copies=2',
    'copies=backup:1', 'copies=trusted+:1', 'lackingcopies=1', 'approxlackingcopies=2', 'inallgroup=client', 'inpreferreddir',
    'metadata=tag=foo', 'metadata=year<2000', 'securehash', 'standard', 'groupwanted', 'unused',
  );
  const expr: fc.Arbitrary<Expr<string>> = fc.letrec<{ e: Expr<string> }>((tie) => ({
    e: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      words.map((w): Expr<string> => ({ kind: 'term', term: w })),
      fc.tuple(fc.constantFrom('and' as const, 'or' as const), tie('e'), tie('e')).map(([kind, left, right]): Expr<string> => ({ kind, left, right })),
      tie('e').map((operand): Expr<string> => ({ kind: 'not', operand })),
    ),
  })).e;

  it('renders a random expression that re-parses to the same tree, strictly and leniently', () => {
    fc.assert(fc.property(expr, (e) => {
      const text = renderExpression(e, (w) => w);
      const strict = parseExpression(text, parsePreferredTerm);
      assert.deepEqual(shape(strict), e);
      const lenient = parseLenient(text, parsePreferredTerm);
      assert.ok(!('problems' in lenient));
      assert.deepEqual(shape(lenient), e);
    }), { numRuns: 500 });
  });

  it('globs match the whole path, * across slashes, classes as fnmatch', () => {
    const m = (glob: string, path: string) => globToRegExp(glob).test(path);
    assert.ok(m('*.c', 'a/b.c'));
    assert.ok(!m('a*', 'x/a.c'));
    assert.ok(m('[]a]', ']'));
    assert.ok(m('[!]a]', 'b'));
    assert.ok(!m('[!]a]', ']'));
    assert.ok(m('[a-c]', 'b'));
    assert.ok(m('a?c', 'a/c'));
    assert.ok(m('a\\b', 'a\\b'));
    assert.ok(!m('*.C', 'a.c'));
  });
});

/** An expression tree with each term replaced by its word, for comparing trees. */
function shape(e: Expr<Term>): Expr<string> {
  switch (e.kind) {
    case 'any': return e;
    case 'and':
    case 'or': return { kind: e.kind, left: shape(e.left), right: shape(e.right) };
    case 'not': return { kind: 'not', operand: shape(e.operand) };
    case 'term': return { kind: 'term', term: e.term.word };
  }
}

describe('preferred content evaluation', () => {
  it('copies= does not count the copy a drop is being decided for; present does', async () => {
    assert.deepEqual(await verdicts('copies=2', [HERE, R1]), [true, false]);
    assert.deepEqual(await verdicts('copies=2', [R1, R2]), [true, true]);
    assert.deepEqual(await verdicts('present', [HERE], { hereHas: true }), [true, true]);
    assert.deepEqual(await verdicts('present', [HERE], { hereHas: false }), [false, false], 'here: the object store, not the log');
    assert.deepEqual(await verdicts('not copies=1', [HERE]), [false, true]);
  });

  it('copies=group:N and copies=TRUST:N count members and trust levels; dead repositories never count', async () => {
    const groups = { [R1]: ['backup'], [R2]: ['backup'], [HERE]: ['client'] };
    assert.deepEqual(await verdicts('copies=backup:2', [R1, R2], { groups }), [true, true]);
    assert.deepEqual(await verdicts('copies=backup:2', [R1, R2], { groups, trust: { [R2]: 'dead' } }), [false, false]);
    assert.deepEqual(await verdicts('copies=client:1', [HERE], { groups }), [true, false]);
    assert.deepEqual(await verdicts('copies=trusted:1', [R1], { trust: { [R1]: 'trusted' } }), [true, true]);
    assert.deepEqual(await verdicts('copies=semitrusted+:2', [R1, R2], { trust: { [R1]: 'trusted', [R2]: 'untrusted' } }), [false, false]);
    assert.deepEqual(await verdicts('copies=untrusted:1', [R2], { trust: { [R2]: 'untrusted' } }), [true, true]);
  });

  it('lackingcopies compares with the global numcopies, not counting untrusted or dead copies', async () => {
    assert.deepEqual(await verdicts('lackingcopies=1', [R1], { globalNumCopies: 2 }), [true, true]);
    assert.deepEqual(await verdicts('lackingcopies=1', [R1, R2], { globalNumCopies: 2 }), [false, false]);
    assert.deepEqual(await verdicts('lackingcopies=1', [HERE, R1], { globalNumCopies: 2 }), [false, true]);
    assert.deepEqual(await verdicts('lackingcopies=1', [R1, R2], { globalNumCopies: 2, trust: { [R2]: 'untrusted' } }), [true, true]);
    assert.deepEqual(await verdicts('approxlackingcopies=2', [], { globalNumCopies: 2 }), [true, true]);
  });

  it('inallgroup needs every member, is true for an empty group, and false once a member is assumed absent', async () => {
    const groups = { [HERE]: ['client'], [R1]: ['client'] };
    assert.deepEqual(await verdicts('inallgroup=client', [HERE, R1], { groups }), [true, false]);
    assert.deepEqual(await verdicts('inallgroup=client', [R1], { groups }), [false, false]);
    assert.deepEqual(await verdicts('inallgroup=nobody', [], { groups }), [true, true]);
  });

  it('on an item without a path include= is false and exclude= true; inpreferreddir false', async () => {
    assert.deepEqual(await verdicts('include=*', [], {}, null), [false, false]);
    assert.deepEqual(await verdicts('exclude=*', [], {}, null), [true, true]);
    assert.deepEqual(await verdicts('inpreferreddir', [], {}, null), [false, false]);
    assert.deepEqual(await verdicts('inpreferreddir', [], {}, 'x/public/f'), [true, true]);
    assert.deepEqual(await verdicts('inpreferreddir', [], {}, 'public/sub/f'), [false, false]);
  });

  it('sizes come from the key', async () => {
    assert.deepEqual(await verdicts('largerthan=99b', []), [true, true]);
    assert.deepEqual(await verdicts('smallerthan=100b', []), [false, false]);
  });

  it('standard and groupwanted expand by the repository\'s groups; otherwise they mean present', async () => {
    const client = { groups: { [HERE]: ['client'] } };
    assert.deepEqual(await verdicts('standard', [R1], client), [true, true]);
    assert.deepEqual(await verdicts('standard', [R1], { groups: { [HERE]: ['client', 'archive'] } }), [false, false]);
    assert.deepEqual(await verdicts('standard', [R1], { groups: { [HERE]: ['archive'], [R1]: ['archive'] } }), [false, false]);
    assert.deepEqual(await verdicts('standard', [R1], { groups: { [HERE]: ['unwanted'] } }), [false, false]);
    const gw = { groups: { [HERE]: ['mine'] }, groupWanted: { mine: 'include=*.txt' } };
    assert.deepEqual(await verdicts('groupwanted', [R1], gw), [true, true]);
    assert.deepEqual(await verdicts('groupwanted', [R1], { ...gw, groupWanted: { mine: 'groupwanted' } }), [false, false]);
    assert.deepEqual(await verdicts('groupwanted', [], { ...gw, groupWanted: { mine: 'standard' }, groups: { [HERE]: ['mine', 'backup'] } }), [true, true]);
  });

  it('a logged expression that does not parse means present; an empty one is no setting at all', async () => {
    assert.deepEqual(await verdicts('onlyingroup=x', [HERE], { hereHas: true }), [true, true]);
    assert.deepEqual(await verdicts('onlyingroup=x', [R1], { hereHas: false }), [false, false]);
    const p = policyOf({ preferred: { [HERE]: '' }, required: { [R1]: '()' } });
    assert.equal(p.isDefined(HERE), false);
    assert.equal(p.isDefined(R1), false);
    assert.equal(await p.wanted(HERE, item([])), undefined);
  });

  it('required content is wanted too, and forbids any drop it matches', async () => {
    const p = policyOf({ preferred: { [HERE]: 'nothing' }, required: { [HERE]: 'include=dir/*' } });
    assert.equal(await p.wantsToHave(HERE, item([])), true);
    assert.equal(await p.mustKeep(HERE, item([HERE])), true);
    assert.equal(await p.mustKeep(HERE, item([HERE], 'other/f')), false);
    assert.equal(await p.wantsToKeep(HERE, item([HERE], 'other/f')), false);
  });

  it('asks about other repositories with their own groups and expressions', async () => {
    const p = policyOf({ preferred: { [R3]: 'standard' }, groups: { [R3]: ['backup'] } });
    assert.equal(await p.wantsToHave(R3, item([R1])), true);
    assert.equal(await p.wantsToHave(R1, item([R1])), false, 'no setting: not wanted');
  });
});

describe('numcopies and mincopies', () => {
  it('take --numcopies, then .gitattributes, then the branch, then the deprecated git config, then 1', async (t) => {
    const dir = await makeRepo(t);
    const load = async (overrides = {}) => {
      const repo = await AnnexRepo.open(dir);
      const annex = new Annex(repo, repo.requireInitialised());
      const copies = await NumCopies.load(annex, overrides);
      const answer = {
        n: await copies.forFile('a.bin'), other: await copies.forFile('b.txt'), key: await copies.forFile(undefined),
        min: await copies.minForFile('a.bin'), global: await copies.globalForFile('b.txt'),
      };
      copies.close();
      annex.close();
      return answer;
    };
    assert.deepEqual(await load(), { n: 1, other: 1, key: 1, min: 1, global: 1 });
    await git(dir, ['config', 'annex.numcopies', '4']);
    assert.deepEqual(await load(), { n: 4, other: 4, key: 4, min: 1, global: 1 }, 'git config counts, but not for lackingcopies');
    await ferry(dir, ['numcopies', '3']);
    await ferry(dir, ['mincopies', '2']);
    assert.deepEqual(await load(), { n: 3, other: 3, key: 3, min: 2, global: 3 }, 'the branch wins over git config');
    await writeFile(join(dir, '.gitattributes'), '*.bin annex.numcopies=5 annex.mincopies=0\n');
    assert.deepEqual(await load(), { n: 5, other: 3, key: 3, min: 1, global: 3 }, 'attributes win for their files; below 1 counts as 1');
    assert.deepEqual(await load({ numcopies: 7, mincopies: 6 }), { n: 7, other: 7, key: 7, min: 6, global: 3 }, 'the command line wins');
  });
});

describe('dead keys', () => {
  it('marks absent lines dead at their clock plus 1 ps, and refuses a key some repository has', () => {
    assert.deepEqual(markKeyDead('1795628896.094764629s 0 u1\n1700000000s 0 u2\n'), {
      text: '1795628896.094764629001s X u1\n1700000000.000000000001s X u2\n',
    });
    assert.deepEqual(markKeyDead('1700000000s 1 u1\n1700000001s 0 u2\n'), { present: ['u1'] });
    assert.deepEqual(markKeyDead(''), { text: '' });
  });
});
