// ferry's keys against real git-annex 10.20230126: `calckey` for every backend over a set of awkward file
// names, and `examinekey` for hash directories, object paths (keyFile) and which keys parse at all.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import {
  formatKey, hashDirLower, hashDirMixed, keyFile, keyForFile, knownBackends, parseKey,
} from '../../src/annex/keys/index.js';
import { runGit } from '../../src/git/index.js';
import type { GitEnv } from '../../src/git/index.js';

// A UTF-8 locale: under LANG=C git-annex writes non-ASCII WORM names byte by byte as surrogates.
const ENV = {
  GIT_AUTHOR_NAME: 'ferry test', GIT_AUTHOR_EMAIL: 'test@ferry.invalid',
  GIT_COMMITTER_NAME: 'ferry test', GIT_COMMITTER_EMAIL: 'test@ferry.invalid',
  LC_ALL: 'C.UTF-8', LANG: 'C.UTF-8',
};

const TABLE_NAMES = [
  'a.txt', 'a.tar.gz', 'a.b.c.d', 'a.1.2.3', 'foo.tar.bz2.gpg', 'a.JPEG', 'a.jpeg5', 'file.verylongextension',
  'x.tar.gz2', '.bashrc', '.config.yml', 'x.b-c.gz', 'x.with space.gz', 'x.ab_c', 'a..b', 'a.', 'x.é', 'x.日本',
  'ünï.tëxt', 'a.b.c.d.e',
];
const EXTRA_NAMES = [
  'a.b..c', 'x.ab.', '...', 'x.日', 'x.ÉA', 'x.a+b', 'x.ﬁ', 'noext', 'multi.dots.in.name.md', 'with space.txt',
  'sub dir/deep.tar.gz', 'ünï code/ファイル.jpeg', 'wdir/we:ird&%x.txt', 'comma,and&amp.txt', 'empty',
  'big.data.bin', `${'long'.repeat(20)}.txt`, `${'é'.repeat(40)}.x`,
];

function randomNames(): string[] {
  const unit = fc.constantFrom('a', 'b', 'Z', '0', '9', '.', '.', ' ', 'é', '日', '-', '_', ',', '&', '%', ':', 'ü', '+', '~');
  const names = fc.sample(fc.string({ unit, minLength: 1, maxLength: 24 }), { seed: 20230126, numRuns: 60 });
  return names.filter((n) => n !== '.' && n !== '..');
}

function contentOf(name: string, i: number): string | Buffer {
  if (name === 'empty') return '';
  if (name === 'big.data.bin') return Buffer.alloc(200_000, 7); // the large-file read path
  return `${i}: ${name}\n`;
}

describe('keys interop with git-annex', () => {
  let repo = '';
  let ctx: GitEnv = { cwd: '' };
  const names = [...new Set([...TABLE_NAMES, ...EXTRA_NAMES, ...randomNames()])];

  /** Runs `git [config] annex calckey --batch -z` over `names`; one key (or '') per name. */
  async function calckey(backend: string, config: string[] = []): Promise<string[]> {
    const { stdout } = await runGit(ctx, [...config, 'annex', 'calckey', '--batch', '-z', `--backend=${backend}`], {
      input: names.map((n) => `${n}\0`).join(''),
    });
    return stdout.toString('utf8').split('\n').slice(0, names.length);
  }

  async function ours(backend: string, maxExtensionLength?: number): Promise<string[]> {
    return Promise.all(names.map(async (n) => formatKey((await keyForFile(join(repo, n), n, backend, { maxExtensionLength })).key)));
  }

  before(async () => {
    repo = mkdtempSync(join(tmpdir(), 'ferry-keys-interop-'));
    ctx = { cwd: repo, env: ENV };
    await runGit(ctx, ['init', '-q']);
    await runGit(ctx, ['annex', 'init', '-q', 'ferry keys interop']);
    names.forEach((n, i) => {
      mkdirSync(dirname(join(repo, n)), { recursive: true });
      writeFileSync(join(repo, n), contentOf(n, i));
    });
  });
  after(() => {
    rmSync(repo, { recursive: true, force: true });
  });

  for (const backend of knownBackends().map((b) => b.name).filter((b) => b !== 'URL')) {
    it(`keyForFile matches git annex calckey --backend=${backend}`, async () => {
      assert.deepEqual(await ours(backend), await calckey(backend));
    });
  }

  it('annex.maxextensionlength is honoured the same way', async () => {
    assert.deepEqual(await ours('SHA256E', 6), await calckey('SHA256E', ['-c', 'annex.maxextensionlength=6']));
  });

  it('deliberate difference: git-annex makes an unparseable key from a raised maxextensionlength, ferry drops the extension', async () => {
    const name = `x.${'a'.repeat(40)}.${'b'.repeat(30)}`;
    writeFileSync(join(repo, name), 'abc');
    const { stdout } = await runGit(ctx, ['-c', 'annex.maxextensionlength=40', 'annex', 'calckey', name]);
    const annexKey = stdout.toString('utf8').trim();
    assert.ok(annexKey.endsWith(`.${'a'.repeat(40)}.${'b'.repeat(30)}`));
    const check = await runGit(ctx, ['annex', 'examinekey', '--batch'], { input: `${annexKey}\n`, okCodes: [1] });
    assert.equal(check.code, 1); // git-annex refuses its own key
    assert.equal(parseKey(annexKey), undefined);
    const mine = (await keyForFile(join(repo, name), name, 'SHA256E', { maxExtensionLength: 40 })).key;
    assert.equal(mine.name, annexKey.slice(annexKey.indexOf('--') + 2, annexKey.indexOf('.')));
  });

  it('hashDirLower, hashDirMixed and keyFile match git annex examinekey', async () => {
    const keys = new Set<string>([
      'SHA256E-s12--a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447.txt',
      'SHA256E-s3000000-S1048576-C2--6a9172702b0adb00a97f6918c886612ad535e6d4beaf51bc550712d6c41f1216.bin',
      'WORM-s3-m1795505582--wdir/we:ird,38%x.txt',
      'GPGHMACSHA1--50cad2aa96f697ca349650f7bf76e93197b691d5',
      'URL--http&c%%ex&a.com%x',
      'SHA256E-s12--', 'SHA256E-S5--x', 'SHA256E--s12--abc', 'SHA256E-s1-C5--x', 'SHA256E-s1---x',
      'SKEIN256E-s1--abc.def', `SHA256E-s${Number.MAX_SAFE_INTEGER}--x`,
    ]);
    for (const backend of ['SHA256E', 'MD5', 'WORM']) for (const k of await calckey(backend)) keys.add(k);
    const list = [...keys];
    const { stdout } = await runGit(ctx, [
      'annex', 'examinekey', '--batch', '--format=${key} ${hashdirlower} ${hashdirmixed} ${objectpath}\n',
    ], { input: list.map((k) => `${k}\n`).join('') });
    const lines = stdout.toString('utf8').split('\n').slice(0, list.length);
    const expected = list.map((k) => {
      const f = keyFile(k);
      return `${k} ${hashDirLower(k)}/ ${hashDirMixed(k)}/ .git/annex/objects/${hashDirMixed(k)}/${f}/${f}`;
    });
    assert.deepEqual(lines, expected);
    for (const k of list) assert.notEqual(parseKey(k), undefined, k);
  });

  describe('which keys parse', () => {
    const bothReject = [
      'SHA256E-m5-s1--x', 'SHA256E-C3-S5--x', 'SHA256E-s+12--x', 'SHA256E-s-1--x', 'SHA256E-s--x', 'SHA256E-s1x--y',
      'SHA256E-s1-x--y', 'SHA256E-s1-s2--y', '-s1--x', 'SHA256E', 'SHA256E-s1', 'WORM-s1-m-5--x',
      `SHA256E-s1--x.${'0'.repeat(64)}`, `FOOE-s1--x.${'0'.repeat(64)}`, `SHA256E-s1--x.${'é'.repeat(32)}`,
    ];
    for (const k of bothReject) {
      it(`git-annex and ferry both reject ${JSON.stringify(k.slice(0, 40))}`, async () => {
        const r = await runGit(ctx, ['annex', 'examinekey', '--batch'], { input: `${k}\n`, okCodes: [1] });
        assert.equal(r.code, 1);
        assert.match(r.stderr, /bad key/);
        assert.equal(parseKey(k), undefined);
      });
    }

    // ferry is stricter where git-annex would rewrite the key (leading zeros), take a backend no git-annex
    // ever wrote (lower case), or accept a name that breaks its line-based logs (LF).
    const onlyAnnexAccepts: [string, string][] = [
      ['SHA256E-s012--abc.txt', 'SHA256E-s12--abc.txt'],
      ['sha256e-s1--x', 'sha256e-s1--x'],
      ['SHA256E-s1--a\nb', 'SHA256E-s1--a\nb'],
    ];
    for (const [k, shown] of onlyAnnexAccepts) {
      it(`only git-annex accepts ${JSON.stringify(k)}`, async () => {
        const { stdout } = await runGit(ctx, ['annex', 'examinekey', '--format=${key}|', '--', k]);
        assert.equal(stdout.toString('utf8'), `${shown}|`);
        assert.equal(parseKey(k), undefined);
      });
    }
  });
});
