// ferry's branch log codecs against real git-annex 10.20230126: git-annex writes every log type, and for
// each blob ferry's render(parse(blob)) must give the same bytes. With GIT_ANNEX_VECTOR_CLOCK fixed, ferry's
// setters applied to the blob before a command must also give exactly the blob git-annex wrote after it
// (values, +1 s bumps, compaction, order).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  branchPathOfJournalFile, currentUuidValues, journalFileName, parseChunkLog, parseLocationLog, parseMapLog,
  parseRemoteConfig, parseSingleValueLog, parseUuidLog, presentUuids, renderChunkLog, renderLocationLog,
  renderMapLog, renderRemoteConfig, renderSingleValueLog, renderUuidLog, setChunkCount, setConfigValue,
  setLocation, setMapValue, setSingleValue, setUuidValue,
} from '../../src/annex/branch/logs/index.js';
import type { Clock } from '../../src/annex/branch/logs/index.js';
import { runGit } from '../../src/git/index.js';
import type { GitEnv } from '../../src/git/index.js';

const ENV = {
  GIT_AUTHOR_NAME: 'ferry test', GIT_AUTHOR_EMAIL: 'test@ferry.invalid',
  GIT_COMMITTER_NAME: 'ferry test', GIT_COMMITTER_EMAIL: 'test@ferry.invalid',
  LC_ALL: 'C.UTF-8', LANG: 'C.UTF-8',
};
const FIXED = '1700000000';
const T: Clock = 1700000000n * 10n ** 12n;
const REAL = ''; // an unparseable GIT_ANNEX_VECTOR_CLOCK: git-annex uses the time

const uuidCodec = (t: string) => renderUuidLog(parseUuidLog(t));
const singleCodec = (t: string) => renderSingleValueLog(parseSingleValueLog(t));
const mapCodec = (t: string) => renderMapLog(parseMapLog(t));
const locationCodec = (t: string) => renderLocationLog(parseLocationLog(t));
const chunkCodec = (t: string) => renderChunkLog(parseChunkLog(t));

describe('branch logs interop with git-annex', () => {
  let tmp = '';
  let ctx: GitEnv = { cwd: '' };
  let here = '';
  let chunked = '';
  let plain = '';
  let keyPath = '';

  async function annex(args: string[], clock: string): Promise<void> {
    await runGit(ctx, ['annex', ...args], { env: { GIT_ANNEX_VECTOR_CLOCK: clock } });
  }

  async function annexText(args: string[]): Promise<string> {
    const { stdout } = await runGit(ctx, ['annex', ...args]);
    return stdout.toString('utf8').trim();
  }

  async function blob(path: string): Promise<string> {
    const r = await runGit(ctx, ['cat-file', '-p', `refs/heads/git-annex:${path}`], { okCodes: [128] });
    return r.code === 0 ? r.stdout.toString('utf8') : '';
  }

  /**
   * Runs a git-annex command at the fixed clock; asserts that `codec` reproduces the blob at `path` it wrote,
   * and, given `ours`, that ferry's update of the previous blob is byte-identical to it.
   */
  async function step(path: string, args: string[], codec: (t: string) => string, ours?: (old: string) => string, clock = FIXED): Promise<string> {
    const old = await blob(path);
    await annex(args, clock);
    const written = await blob(path);
    assert.notEqual(written, '', `${args.join(' ')} wrote ${path}`);
    assert.equal(codec(written), written, `render(parse(${path})) after ${args.join(' ')}`);
    if (ours !== undefined) assert.equal(ours(old), written, `ferry's update of ${path} for ${args.join(' ')}`);
    return written;
  }

  const setUuid = (uuid: () => string, value: string) => (old: string) =>
    renderUuidLog(setUuidValue(parseUuidLog(old), uuid(), value, T));

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'ferry-branch-logs-interop-'));
    mkdirSync(join(tmp, 'repo'));
    mkdirSync(join(tmp, 'chunked'));
    mkdirSync(join(tmp, 'plain'));
    ctx = { cwd: join(tmp, 'repo'), env: ENV };
    await runGit(ctx, ['init', '-q']);
    await annex(['init', '-q', 'interop repo'], REAL);
    here = (await runGit(ctx, ['config', 'annex.uuid'])).stdout.toString('utf8').trim();
  });
  after(() => {
    rmSync(tmp, { recursive: true, force: true });
  });

  it('uuid.log: init, then describe with a value full of spaces, bumped past the real-time entry', async () => {
    const initial = await blob('uuid.log');
    assert.equal(uuidCodec(initial), initial);
    const desc = '  two  spaces & a\ttab  ';
    await step('uuid.log', ['describe', 'here', desc], uuidCodec, setUuid(() => here, desc));
    await step('uuid.log', ['describe', 'here', desc], uuidCodec, setUuid(() => here, desc));
    await step('uuid.log', ['describe', 'here', 'plain words'], uuidCodec, undefined, REAL);
  });

  it('trust.log: trust, untrust, semitrust', async () => {
    await step('trust.log', ['trust', '--force', 'here'], uuidCodec, setUuid(() => here, '1'));
    await step('trust.log', ['untrust', 'here'], uuidCodec, setUuid(() => here, '0'));
    await step('trust.log', ['semitrust', 'here'], uuidCodec, setUuid(() => here, '?'));
  });

  it('group.log, preferred-content.log, required-content.log', async () => {
    await step('group.log', ['group', 'here', 'archive'], uuidCodec, setUuid(() => here, 'archive'));
    await step('group.log', ['group', 'here', 'backup'], uuidCodec, setUuid(() => here, 'archive backup'));
    const expr = 'include=*.txt and exclude=big*';
    await step('preferred-content.log', ['wanted', 'here', expr], uuidCodec, setUuid(() => here, expr));
    await step('required-content.log', ['required', 'here', 'anything'], uuidCodec, setUuid(() => here, 'anything'));
  });

  it('numcopies.log and mincopies.log: one line, unchanged values not rewritten', async () => {
    const set = (value: string) => (old: string) => renderSingleValueLog(setSingleValue(parseSingleValueLog(old), value, T));
    const two = await step('numcopies.log', ['numcopies', '2'], singleCodec, set('2'));
    assert.equal(two, '1700000000s 2\n');
    await step('numcopies.log', ['numcopies', '2'], singleCodec, set('2'));
    const parsed = parseSingleValueLog(two);
    assert.equal(setSingleValue(parsed, '2', T), parsed);
    assert.equal(await step('numcopies.log', ['numcopies', '3'], singleCodec, set('3')), '1700000001s 3\n');
    await step('mincopies.log', ['mincopies', '1'], singleCodec, set('1'));
    await step('numcopies.log', ['numcopies', '1'], singleCodec, undefined, REAL);
  });

  it('config.log: set, set again, unset (an empty value with a trailing space)', async () => {
    const set = (name: string, value: string) => (old: string) =>
      renderMapLog(setConfigValue(parseMapLog(old), name, value, T));
    await step('config.log', ['config', '--set', 'annex.largefiles', 'largerthan=100kb'], mapCodec, set('annex.largefiles', 'largerthan=100kb'));
    await step('config.log', ['config', '--set', 'annex.dotfiles', 'true'], mapCodec, set('annex.dotfiles', 'true'));
    await step('config.log', ['config', '--set', 'annex.dotfiles', 'true'], mapCodec, set('annex.dotfiles', 'true'));
    const unset = await step('config.log', ['config', '--unset', 'annex.dotfiles'], mapCodec, set('annex.dotfiles', ''));
    assert.ok(unset.includes('annex.dotfiles \n'));
    await step('config.log', ['config', '--set', 'annex.addunlocked', 'false'], mapCodec, undefined, REAL);
  });

  it('group-preferred-content.log: groupwanted rewrites even an unchanged expression', async () => {
    const set = (group: string, expr: string) => (old: string) =>
      renderMapLog(setMapValue(parseMapLog(old), group, expr, T));
    await step('group-preferred-content.log', ['groupwanted', 'archive', 'not copies=archive:1'], mapCodec, set('archive', 'not copies=archive:1'));
    await step('group-preferred-content.log', ['groupwanted', 'archive', 'not copies=archive:1'], mapCodec, set('archive', 'not copies=archive:1'));
    await step('group-preferred-content.log', ['groupwanted', 'backup', 'anything'], mapCodec, undefined, REAL);
  });

  it('remote.log: initremote with a name that needs escaping, and a second remote', async () => {
    const name = 'dir remote&x\u00a0y';
    const written = await step('remote.log', [
      'initremote', name, 'type=directory', `directory=${join(tmp, 'chunked')}`, 'encryption=none', 'chunk=1MiB',
    ], uuidCodec);
    assert.ok(written.includes(' chunk=1MiB encryption=none name=dir&32;remote&38;x&160;y type=directory timestamp=1700000000s\n'));
    const remotes = currentUuidValues(parseUuidLog(written));
    chunked = [...remotes.values()].find((e) => parseRemoteConfig(e.value).get('name') === name)!.uuid;
    const config = new Map([['type', 'directory'], ['name', name], ['encryption', 'none'], ['chunk', '1MiB']]);
    assert.equal(setUuid(() => chunked, renderRemoteConfig(config))(''), written);
    assert.equal(uuidCodec(await blob('uuid.log')), await blob('uuid.log'));
    await step('remote.log', [
      'initremote', 'plain', 'type=directory', `directory=${join(tmp, 'plain')}`, 'encryption=none',
    ], uuidCodec, undefined, REAL);
    plain = [...currentUuidValues(parseUuidLog(await blob('remote.log'))).values()]
      .find((e) => parseRemoteConfig(e.value).get('name') === 'plain')!.uuid;
  });

  it('location and chunk logs: add, copy to a chunked remote, drop from it, copy again', async () => {
    const data = Buffer.alloc(2.5 * 1024 * 1024);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7919) % 251;
    writeFileSync(join(ctx.cwd, 'big.bin'), data);
    const loc = (uuid: () => string, status: '1' | '0') => (old: string) =>
      renderLocationLog(setLocation(parseLocationLog(old), uuid(), status, T));
    const cnk = (count: number) => (old: string) => renderChunkLog(setChunkCount(parseChunkLog(old), chunked, 1048576, count, T));

    await annex(['add', 'big.bin'], FIXED);
    const key = await annexText(['lookupkey', 'big.bin']);
    keyPath = await annexText(['examinekey', '--format=${hashdirlower}${key}', key]);
    const added = await blob(`${keyPath}.log`);
    assert.equal(added, `1700000000s 1 ${here}\n`);
    assert.equal(loc(() => here, '1')(''), added);

    const copyTo = ['copy', '--to', 'dir remote&x\u00a0y', 'big.bin'];
    const dropFrom = ['drop', '--force', '--from', 'dir remote&x\u00a0y', 'big.bin'];
    await step(`${keyPath}.log.cnk`, copyTo, chunkCodec, cnk(3));
    assert.equal(await blob(`${keyPath}.log.cnk`), `1700000000s ${chunked}:1048576 3\n`);
    assert.equal(loc(() => chunked, '1')(added), await blob(`${keyPath}.log`));
    const beforeDrop = await blob(`${keyPath}.log`);
    await step(`${keyPath}.log.cnk`, dropFrom, chunkCodec, cnk(0));
    assert.equal(loc(() => chunked, '0')(beforeDrop), await blob(`${keyPath}.log`));
    const beforeCopy = await blob(`${keyPath}.log`);
    await step(`${keyPath}.log.cnk`, copyTo, chunkCodec, cnk(3));
    assert.equal(loc(() => chunked, '1')(beforeCopy), await blob(`${keyPath}.log`));
    assert.ok((await blob(`${keyPath}.log.cnk`)).startsWith('1700000002s '));

    const three = await step(`${keyPath}.log`, ['copy', '--to', 'plain', 'big.bin'], locationCodec, undefined, REAL);
    assert.deepEqual(presentUuids(parseLocationLog(three)), [here, chunked, plain].sort());
    await step(`${keyPath}.log`, ['drop', '--force', '--from', 'plain', 'big.bin'], locationCodec, undefined, REAL);
  });

  it('activity.log (fsck) and dead (trust.log X)', async () => {
    await step('activity.log', ['fsck', '--fast', 'big.bin'], uuidCodec, setUuid(() => here, 'Fsck'));
    await step('trust.log', ['dead', 'plain'], uuidCodec, setUuid(() => plain, 'X'));
  });

  it('journal files: names and contents, with annex.alwayscommit=false', async () => {
    writeFileSync(join(ctx.cwd, 'my__fi_le.txt'), 'journal test\n');
    const nocommit = ['-c', 'annex.alwayscommit=false', 'annex'];
    await runGit(ctx, [...nocommit, 'add', '--force-large', '--backend=WORM', 'my__fi_le.txt'], { env: { GIT_ANNEX_VECTOR_CLOCK: FIXED } });
    await runGit(ctx, [...nocommit, 'describe', 'here', 'journalled'], { env: { GIT_ANNEX_VECTOR_CLOCK: FIXED } });
    const key = await annexText(['lookupkey', 'my__fi_le.txt']);
    const logPath = `${await annexText(['examinekey', '--format=${hashdirlower}${key}', key])}.log`;
    const journal = join(ctx.cwd, '.git', 'annex', 'journal');
    const names = readdirSync(journal).sort();
    assert.deepEqual(names, [journalFileName(logPath), 'uuid.log'].sort());
    assert.ok(journalFileName(logPath).includes('my____fi__le.txt'));
    for (const name of names) {
      assert.equal(journalFileName(branchPathOfJournalFile(name)), name);
      const content = readFileSync(join(journal, name), 'utf8');
      const codec = branchPathOfJournalFile(name) === 'uuid.log' ? uuidCodec : locationCodec;
      assert.equal(codec(content), content);
    }
    assert.equal(branchPathOfJournalFile(journalFileName(logPath)), logPath);
  });
});
