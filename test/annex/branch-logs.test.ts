import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  UNKNOWN_CLOCK, parseClock, formatClock, currentClock, nextClock, wallClockNs, compareBytes, splitLogLines,
  InvalidLogFieldError, parseUuidLog, currentUuidValues, renderUuidLog, setUuidValue, parseRemoteConfig,
  renderRemoteConfig, escapeConfigValue, parseSingleValueLog, currentSingleValue, renderSingleValueLog,
  setSingleValue, parseMapLog, currentMapValues, renderMapLog, setMapValue, currentConfig, currentConfigValue,
  setConfigValue, parseLocationLog, currentLocations, presentUuids, renderLocationLog, setLocation,
  parseChunkLog, currentChunks, renderChunkLog, setChunkCount, journalFileName, branchPathOfJournalFile,
} from '../../src/annex/branch/logs/index.js';
import type { Clock, ParsedLog, UuidLogEntry, MapLogEntry, LocationLogEntry, ChunkLogEntry } from '../../src/annex/branch/logs/index.js';

const S = 10n ** 12n;
const sec = (s: number | bigint): Clock => BigInt(s) * S;
const lines = (...ls: string[]) => ls.map((l) => `${l}\n`).join('');

// Characters chosen to stress byte order (a surrogate pair vs U+E000..U+FFFF), escaping and separators.
const unit = fc.constantFrom('a', 'b', 'z', '0', '9', '-', '_', '=', '&', ';', ':', '\t', 'é', '日', '\u00a0', '\uE000', '\uFFFD', '😀', '𝄞');
const word = fc.string({ unit, minLength: 1, maxLength: 8 });
const text = (maxLength = 12) => fc.string({ unit: fc.oneof(unit, fc.constant(' ')), maxLength });
const clock = fc.bigInt({ min: 0n, max: 10n ** 24n });
const byteOrder = (xs: string[]) => [...xs].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));

describe('clock', () => {
  it('parses git-annex timestamps', () => {
    assert.equal(parseClock('1795505357.41397191s'), 1795505357_413971910000n);
    assert.equal(parseClock('1700000000s'), sec(1700000000));
    assert.equal(parseClock('1700000000'), sec(1700000000));
    assert.equal(parseClock('0012.0100'), 12_010000000000n);
    assert.equal(parseClock('+7'), sec(7));
    assert.equal(parseClock('-5.5'), -5_500000000000n);
    assert.equal(parseClock('12.1234567890129999s'), 12_123456789012n);
  });

  it('rejects what git-annex rejects', () => {
    for (const bad of ['', 's', '1.5e3', '1700000000.', '.5', ' 12', '12 ', '12ss', '5S', '5.s', '12.-5', '0x10', '١٢', '5s.5']) {
      assert.equal(parseClock(bad), undefined, bad);
    }
  });

  it('formats like Haskell shows a POSIXTime', () => {
    assert.equal(formatClock(1795505357_413971910000n), '1795505357.41397191s');
    assert.equal(formatClock(sec(1700000000)), '1700000000s');
    assert.equal(formatClock(12_010000000000n), '12.01s');
    assert.equal(formatClock(1n), '0.000000000001s');
    assert.equal(formatClock(-5_500000000000n), '-5.5s');
    assert.equal(formatClock(0n), '0s');
    assert.throws(() => formatClock(UNKNOWN_CLOCK), RangeError);
  });

  it('round-trips every clock, fractions up to 12 digits', () => {
    fc.assert(fc.property(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), (c) => parseClock(formatClock(c)) === c));
    fc.assert(fc.property(fc.stringMatching(/^[0-9]{1,15}(\.[0-9]{1,20})?s?$/), (s) => {
      const c = parseClock(s)!;
      const [int, frac = ''] = s.replace('s', '').split('.');
      const canonicalFrac = frac.slice(0, 12).replace(/0+$/, '');
      return formatClock(c) === `${BigInt(int!)}${canonicalFrac ? `.${canonicalFrac}` : ''}s`;
    }));
  });

  it('unknown loses to every parseable clock', () => {
    fc.assert(fc.property(fc.stringMatching(/^-?[0-9]{1,40}(\.[0-9]{1,14})?$/), (s) => parseClock(s)! > UNKNOWN_CLOCK));
  });

  it('nextClock bumps by one second when the old entry is not older than now', () => {
    assert.equal(nextClock(undefined, sec(100)), sec(100));
    assert.equal(nextClock(UNKNOWN_CLOCK, sec(100)), sec(100));
    assert.equal(nextClock(sec(99), sec(100)), sec(100));
    assert.equal(nextClock(sec(100), sec(100)), sec(101));
    assert.equal(nextClock(100_5n * S / 10n, sec(100)), 101_5n * S / 10n);
    fc.assert(fc.property(clock, clock, (previous, now) => {
      const next = nextClock(previous, now);
      return next > previous && next >= now && (previous < now ? next === now : next === previous + S);
    }));
  });

  it('currentClock honours GIT_ANNEX_VECTOR_CLOCK exactly, else uses the time in nanoseconds', () => {
    const now = () => 1_700_000_000_123_456_789n;
    assert.equal(currentClock(now, { GIT_ANNEX_VECTOR_CLOCK: '1700000000' }), sec(1700000000));
    assert.equal(formatClock(currentClock(now, { GIT_ANNEX_VECTOR_CLOCK: '1700000000' })), '1700000000s');
    assert.equal(currentClock(now, { GIT_ANNEX_VECTOR_CLOCK: '1.5' }), 1_500000000000n);
    assert.equal(currentClock(now, { GIT_ANNEX_VECTOR_CLOCK: 'garbage' }), 1_700_000_000_123_456_789_000n);
    assert.equal(currentClock(now, {}), 1_700_000_000_123_456_789_000n);
    assert.equal(formatClock(currentClock(now, {})), '1700000000.123456789s');
  });

  it('the default clock never goes backwards within the process', () => {
    let last = wallClockNs();
    for (let i = 0; i < 1000; i++) {
      const next = wallClockNs();
      assert.ok(next > last);
      last = next;
    }
    assert.ok(currentClock(undefined, {}) > last * 1000n);
  });
});

describe('log text', () => {
  it('splits on any run of CR and LF and drops blank lines, keeping an unterminated last line', () => {
    assert.deepEqual(splitLogLines('a\r\nb\rc\n\n\r\rd\n   \n\te'), ['a', 'b', 'c', 'd', '\te']);
    assert.deepEqual(splitLogLines(''), []);
  });

  it('compares strings by UTF-8 bytes, not UTF-16 units', () => {
    assert.ok(compareBytes('\uE000', '😀') < 0);
    assert.ok('\uE000' > '😀');
    assert.ok(compareBytes('a', 'ab') < 0);
    assert.equal(compareBytes('日', '日'), 0);
    fc.assert(fc.property(fc.array(fc.string({ unit })), (xs) =>
      JSON.stringify([...xs].sort(compareBytes)) === JSON.stringify(byteOrder(xs))));
  });
});

const H = '67a6a3ee-9fd0-4407-bc37-a15583766a6d';

describe('old-style UUID logs', () => {
  it('reads and rewrites the examples of annex-format §3.2 unchanged', () => {
    const examples = [
      lines('443c7bae-ee56-4c3e-b3f2-0fad676e0772 my plain dir & stuff timestamp=1795505509.1108333s',
        '894b0417-bbb1-4924-983e-725a5be69f79 repoA desc timestamp=1795505344.942969307s'),
      lines('443c7bae-ee56-4c3e-b3f2-0fad676e0772 1 timestamp=1795505510.610377164s'),
      lines('cf718b6e-cfd3-4b58-a524-a89bc2d49a80 archive backup timestamp=1795505508.884615431s'),
      lines('894b0417-bbb1-4924-983e-725a5be69f79 include=*.txt and exclude=big* timestamp=1795505344.942969307s',
        'cf718b6e-cfd3-4b58-a524-a89bc2d49a80 standard timestamp=1795505508.884615431s'),
      lines('443c7bae-ee56-4c3e-b3f2-0fad676e0772 anything timestamp=1795505509.026791083s'),
      lines('0913427c-0000-4000-8000-000000000000 Fsck timestamp=1795505945.216630612s'),
      lines('443c7bae-ee56-4c3e-b3f2-0fad676e0772 encryption=none name=plain type=directory timestamp=1795505436.418268451s',
        'cf718b6e-cfd3-4b58-a524-a89bc2d49a80 chunk=1MiB encryption=none name=chunky type=directory timestamp=1795505436.544301516s'),
    ];
    for (const example of examples) {
      const log = parseUuidLog(example);
      assert.deepEqual(log.unparsed, []);
      assert.equal(renderUuidLog(log), example);
    }
    const uuidLog = currentUuidValues(parseUuidLog(examples[0]!));
    assert.deepEqual(uuidLog.get('443c7bae-ee56-4c3e-b3f2-0fad676e0772'), {
      uuid: '443c7bae-ee56-4c3e-b3f2-0fad676e0772', value: 'my plain dir & stuff', clock: 1795505509_110833300000n,
    });
  });

  // Each case: a file put in the journal, then `GIT_ANNEX_VECTOR_CLOCK=100 git annex describe here NEW`;
  // `expected` is what git-annex 10.20230126 wrote, plus the lines it dropped (ferry keeps them, last).
  const describeCases: { name: string; input: string; expected: string }[] = [
    {
      name: 'values, empty values, unreadable timestamps, ties',
      input: lines(`${H} old timestamp=5s`, 'aaaa-notime some value', 'bbbb', 'cccc ', 'dddd  timestamp=6s',
        'eeee timestamp=7s', 'ffff val timestamp=abc', 'gggg val timestamp=8.s', ' hhhh val timestamp=9s',
        'iiii first timestamp=10s', 'iiii second timestamp=10s', 'iiii older timestamp=9s', 'jjjj v timestamp=-3s',
        'kkkk v timestamp=11', 'llll v timestamp=12.1234567890123456s', 'mmmm v timestamp=13s trailing',
        'nnnn v  timestamp=14s', 'oooo v timestamp=15s ', 'pppp v\ttimestamp=16s', 'qqqq a timestamp=1s b timestamp=17s',
        'rrrr v timestamp=+18s', '', '   ', 'ssss v timestamp=0012.50s'),
      expected: lines(`${H} NEW timestamp=100s`, 'aaaa-notime some value', 'bbbb ', 'cccc ', 'dddd  timestamp=6s',
        'eeee  timestamp=7s', 'ffff val timestamp=abc', 'gggg val timestamp=8.s', 'iiii second timestamp=10s',
        'jjjj v timestamp=-3s', 'kkkk v timestamp=11s', 'llll v timestamp=12.123456789012s', 'mmmm v timestamp=13s trailing',
        'nnnn v  timestamp=14s', 'oooo v timestamp=15s ', 'pppp v\ttimestamp=16s', 'qqqq a timestamp=1s b timestamp=17s',
        'rrrr v timestamp=18s', 'ssss v timestamp=12.5s', ' hhhh val timestamp=9s'),
    },
    {
      name: 'which timestamps are real clocks (a real clock beats a later line without one)',
      input: lines(`${H} old timestamp=5s`, 'aaaa first', 'aaaa second', 'jjjj v timestamp=-3s', 'jjjj UNK',
        'mmmm v timestamp=13s trailing', 'mmmm UNK', 'nnnn v  timestamp=14s', 'nnnn UNK', 'oooo v timestamp=15s ',
        'oooo UNK', 'pppp v\ttimestamp=16s', 'pppp UNK', 'tttt v timestamp=1e5s', 'tttt UNK', 'uuuu v timestamp=  5s',
        'uuuu UNK', 'vvvv v timestamp=5s\t', 'vvvv UNK', 'wwww v timestamp=5s\r', 'wwww UNK', 'xxxx v timestamp=5.s',
        'xxxx UNK', 'yyyy v timestamp=5ss', 'yyyy UNK', 'zzzz v timestamp=0s', 'zzzz UNK', 'z1 v Timestamp=5s',
        'z1 UNK', 'z2\tv timestamp=5s', 'z3 v timestamp=5s', 'z4 UNK', 'z4 v timestamp=0s'),
      expected: lines(`${H} NEW timestamp=100s`, 'aaaa second', 'jjjj v timestamp=-3s', 'mmmm UNK',
        'nnnn v  timestamp=14s', 'oooo UNK', 'pppp UNK', 'tttt UNK', 'uuuu UNK', 'vvvv UNK', 'wwww v timestamp=5s',
        'xxxx UNK', 'yyyy UNK', 'z1 UNK', 'z2\tv  timestamp=5s', 'z3 v timestamp=5s', 'z4 v timestamp=0s',
        'zzzz v timestamp=0s'),
    },
    {
      name: 'a lone CR ends a line',
      input: `${H} old timestamp=5s\naaaa value\r\nbbbb va\rlue\ncccc va\rlue timestamp=5s\ndddd v timestamp=5s\r\r\ndddd UNK\n`,
      expected: lines(`${H} NEW timestamp=100s`, 'aaaa value', 'bbbb va', 'cccc va', 'dddd v timestamp=5s',
        'lue  timestamp=5s'),
    },
    {
      name: 'only a last word timestamp=T counts',
      input: lines(`${H} old timestamp=5s`, 'a1  v timestamp=5s', 'a1 UNK', 'a2 x timestamp=5s timestamp=6s',
        'a3 timestamp=5s timestamp=6s', 'a4 timestamp=abc', 'a5 x  ', 'a6 timestamp=', 'a7 x timestamp=',
        'a8 x timestamp=s', 'a9 x timestamp=5 s', 'b1 timestamp=5s', 'b1 UNK', 'b2 x timestamp==5s',
        'b3 x timestamp=5s=', 'b4 x timestamp=1.5e3s', 'b5 x timestamp=١٢s', 'b6 x timestamp=5S'),
      expected: lines(`${H} NEW timestamp=100s`, 'a1  v timestamp=5s', 'a2 x timestamp=5s timestamp=6s',
        'a3 timestamp=5s timestamp=6s', 'a4 timestamp=abc', 'a5 x  ', 'a6 timestamp=', 'a7 x timestamp=',
        'a8 x timestamp=s', 'a9 x timestamp=5 s', 'b1  timestamp=5s', 'b2 x timestamp==5s', 'b3 x timestamp=5s=',
        'b4 x timestamp=1.5e3s', 'b5 x timestamp=١٢s', 'b6 x timestamp=5S'),
    },
    {
      name: 'the bump looks only at the same UUID',
      input: lines(`${H} old timestamp=5s`, 'a1 v timestamp=500s'),
      expected: lines(`${H} NEW timestamp=100s`, 'a1 v timestamp=500s'),
    },
    { name: 'bump past an equal clock', input: lines(`${H} old`, `${H} old2 timestamp=100s`), expected: lines(`${H} NEW timestamp=101s`) },
    { name: 'bump past a newer clock', input: lines(`${H} old timestamp=100.5s`), expected: lines(`${H} NEW timestamp=101.5s`) },
  ];
  for (const c of describeCases) {
    it(`setUuidValue matches git-annex describe: ${c.name}`, () => {
      assert.equal(renderUuidLog(setUuidValue(parseUuidLog(c.input), H, 'NEW', sec(100))), c.expected);
    });
  }

  it('an unknown clock renders without timestamp and loses to any real clock', () => {
    const log = parseUuidLog(lines('u1 no time', 'u1 old timestamp=0s', 'u2 only'));
    assert.equal(currentUuidValues(log).get('u1')!.value, 'old');
    assert.equal(currentUuidValues(log).get('u2')!.clock, UNKNOWN_CLOCK);
    assert.equal(renderUuidLog(log), lines('u1 old timestamp=0s', 'u2 only'));
  });

  it('acceptValue sends lines with values the log cannot hold to unparsed', () => {
    const trustValue = (v: string) => v.length <= 1;
    const log = parseUuidLog(lines('u1 1 timestamp=5s', 'u1 bogus timestamp=6s'), trustValue);
    assert.equal(currentUuidValues(log).get('u1')!.value, '1');
    assert.deepEqual(log.unparsed, ['u1 bogus timestamp=6s']);
  });

  it('refuses UUIDs and values that would corrupt the log', () => {
    const empty = parseUuidLog('');
    assert.throws(() => setUuidValue(empty, 'a b', 'v', 0n), InvalidLogFieldError);
    assert.throws(() => setUuidValue(empty, '', 'v', 0n), InvalidLogFieldError);
    assert.throws(() => setUuidValue(empty, 'u', 'a\nb', 0n), InvalidLogFieldError);
    assert.throws(() => setUuidValue(empty, 'u', 'a\rb', 0n), InvalidLogFieldError);
    assert.equal(renderUuidLog(empty), '');
  });

  const uuidEntry = fc.record({ value: text(), clock: fc.oneof(clock, fc.constant(UNKNOWN_CLOCK)) });
  const canonicalUuidLog = fc.dictionary(word, uuidEntry).map((d): ParsedLog<UuidLogEntry> => ({
    entries: byteOrder(Object.keys(d)).map((uuid) => ({ uuid, ...d[uuid]! })),
    unparsed: [],
  }));
  const uuidLine = fc.oneof(
    fc.tuple(word, text(), clock).map(([u, v, c]) => `${u} ${v} timestamp=${formatClock(c)}`),
    fc.tuple(word, text()).map(([u, v]) => `${u} ${v}`),
    text(20),
  );
  const uuidLogText = fc.array(uuidLine, { maxLength: 12 }).map((ls) => ls.join('\n'));

  it('parse of render is the identity on compacted, sorted logs', () => {
    fc.assert(fc.property(canonicalUuidLog, (log) => assert.deepEqual(parseUuidLog(renderUuidLog(log)), log)));
  });

  it('render of parse of render is render', () => {
    fc.assert(fc.property(uuidLogText, (t) => {
      const once = renderUuidLog(parseUuidLog(t));
      assert.equal(renderUuidLog(parseUuidLog(once)), once);
    }));
  });

  it('keeps unreadable lines verbatim, in order, after the entries', () => {
    const garbage = fc.array(text(10).map((s) => ` ${s}x`), { maxLength: 5 });
    fc.assert(fc.property(canonicalUuidLog, garbage, (log, junk) => {
      const rendered = renderUuidLog({ entries: log.entries, unparsed: junk });
      assert.ok(rendered.endsWith(junk.map((l) => `${l}\n`).join('')));
      assert.deepEqual(parseUuidLog(rendered).unparsed, junk);
    }));
  });

  it('newest clock wins, a tie goes to the later line', () => {
    const line = fc.tuple(fc.constantFrom('u1', 'u2', 'u3'), fc.nat(9), fc.integer({ min: 1, max: 3 }));
    fc.assert(fc.property(fc.array(line, { minLength: 1, maxLength: 15 }), (ls) => {
      const log = parseUuidLog(ls.map(([u, n, c]) => `${u} v${n} timestamp=${c}s`).join('\n'));
      for (const [uuid, e] of currentUuidValues(log)) {
        const mine = ls.filter(([u]) => u === uuid);
        const newest = Math.max(...mine.map(([, , c]) => c));
        const winner = mine.filter(([, , c]) => c === newest).at(-1)!;
        assert.equal(e.value, `v${winner[1]}`);
      }
    }));
  });

  it('sorts by UTF-8 bytes', () => {
    const log = parseUuidLog(lines('😀 b timestamp=1s', '\uE000 a timestamp=1s', 'z c timestamp=1s'));
    assert.equal(renderUuidLog(log), lines('z c timestamp=1s', '\uE000 a timestamp=1s', '😀 b timestamp=1s'));
  });
});

describe('remote.log config values', () => {
  it('reads and writes the examples of annex-format §5.1', () => {
    const v = 'chunk=1MiB encryption=none name=chunky type=directory';
    assert.deepEqual(parseRemoteConfig(v), new Map([['chunk', '1MiB'], ['encryption', 'none'], ['name', 'chunky'], ['type', 'directory']]));
    assert.equal(renderRemoteConfig(parseRemoteConfig(v)), v);
  });

  it('escapes as git-annex initremote does', () => {
    const cases: [string, string][] = [
      ['my dir&x', 'my&32;dir&38;x'], ['t\tab', 't&9;ab'], ['eq=x;y', 'eq=x;y'], ['lit&32;z', 'lit&38;32;z'],
      ['cr\rx', 'cr&13;x'], ['vt\vff\fx', 'vt&11;ff&12;x'], ['nl\nx', 'nl&10;x'], ['ü', 'ü'],
      ['a\u00a0b', 'a&160;b'], ['a\u1680b', 'a&5760;b'], ['a\u2003b', 'a&8195;b'], ['a\u200ab', 'a&8202;b'],
      ['a\u202fb', 'a&8239;b'], ['a\u205fb', 'a&8287;b'], ['a\u3000b', 'a&12288;b'],
      ['a\u180eb', 'a\u180eb'], ['a\u2028b', 'a\u2028b'], ['a\u2029b', 'a\u2029b'], ['a\u0085b', 'a\u0085b'],
      ['a\u200bb', 'a\u200bb'], ['a\u001cb', 'a\u001cb'], ['a\u001fb', 'a\u001fb'],
    ];
    for (const [raw, escaped] of cases) assert.equal(escapeConfigValue(raw), escaped, JSON.stringify(raw));
  });

  it('reads odd words as git-annex enableremote does', () => {
    // A crafted remote.log value and git-annex's rewrite of it.
    const crafted = 'encryption=none name=rr type=directory x=a&32;b&99;c&;d&&38;e&x;&0033; y  noeq z==q& w=é&233;&8195;';
    const rewritten = 'encryption=none name=rr noeq= type=directory w=éé&8195; x=a&32;bcc&38;;d&38;&38;e&38;x;! y= z==q&38;';
    assert.equal(renderRemoteConfig(parseRemoteConfig(crafted)), rewritten);
    assert.equal(parseRemoteConfig('a=1\tb=2\u3000c=3 a=4').get('a'), '4');
    assert.equal(parseRemoteConfig('x=&1114112;&55296;').get('x'), '&1114112;&55296;');
  });

  it('refuses keys that cannot be read back', () => {
    for (const key of ['', 'a=b', 'a b', 'a\u3000b']) {
      assert.throws(() => renderRemoteConfig(new Map([[key, 'v']])), InvalidLogFieldError);
    }
  });

  it('round-trips any values', () => {
    const key = fc.string({ unit: fc.constantFrom('a', 'b', '-', '_', 'é', '😀', '&', ';'), minLength: 1, maxLength: 6 });
    const value = fc.string({ unit: fc.oneof(unit, fc.constantFrom(' ', '\n', '\r', '\u3000', '&32;')), maxLength: 10 });
    fc.assert(fc.property(fc.dictionary(key, value), (d) => {
      const config = new Map(Object.entries(d));
      const rendered = renderRemoteConfig(config);
      assert.deepEqual(parseRemoteConfig(rendered), config);
      assert.equal(renderRemoteConfig(parseRemoteConfig(rendered)), rendered);
      assert.ok(!/[\s]/.test(rendered.replaceAll(' ', '')));
    }));
  });
});

describe('single-value logs', () => {
  it('reads the examples of annex-format §3.2', () => {
    for (const [example, value] of [['1795505508.977698687s 2\n', '2'], ['1795505509.001737083s 1\n', '1']] as const) {
      const log = parseSingleValueLog(example);
      assert.equal(currentSingleValue(log)!.value, value);
      assert.equal(renderSingleValueLog(log), example);
    }
  });

  it('on equal clocks the greatest value wins, numerically (as git-annex numcopies reads it)', () => {
    for (const [input, winner] of [[['5s 3', '5s 2'], '3'], [['5s 2', '5s 3'], '3'], [['5s 2', '5s 10'], '10'], [['5s 10', '5s 2'], '10']] as const) {
      assert.equal(currentSingleValue(parseSingleValueLog(lines(...input)))!.value, winner);
    }
  });

  it('acceptValue drops what the value parser rejects', () => {
    const log = parseSingleValueLog(lines('5s 7', '4s 3', '6s abc', '6s'), (v) => /^[0-9]/.test(v));
    assert.equal(currentSingleValue(log)!.value, '7');
    assert.deepEqual(log.unparsed, ['6s abc', '6s']);
  });

  it('setSingleValue matches git-annex numcopies: one line, bumped past the newest line', () => {
    const log = parseSingleValueLog(lines('100.5s 3', '500s 2'));
    assert.equal(renderSingleValueLog(setSingleValue(log, '5', sec(100))), '501s 5\n');
    assert.equal(setSingleValue(log, '2', sec(100)), log);
    assert.equal(renderSingleValueLog(setSingleValue(parseSingleValueLog(''), '3', sec(100))), '100s 3\n');
    assert.equal(renderSingleValueLog(parseSingleValueLog('')), '');
  });
});

describe('map logs: config.log, group-preferred-content.log', () => {
  it('reads the examples of annex-format §3.2', () => {
    const config = '1795505509.085762315s annex.largefiles largerthan=100kb\n';
    assert.equal(currentConfigValue(config, 'annex.largefiles'), 'largerthan=100kb');
    assert.equal(renderMapLog(parseMapLog(config)), config);
    const unset = '1795505509.085762315s annex.largefiles \n';
    assert.equal(currentConfigValue(unset, 'annex.largefiles'), undefined);
    assert.equal(currentMapValues(parseMapLog(unset)).get('annex.largefiles')!.value, '');
    assert.equal(renderMapLog(parseMapLog(unset)), unset);
    const gpc = '1795505509.055959538s archive not copies=archive:1\n';
    assert.equal(currentMapValues(parseMapLog(gpc)).get('archive')!.value, 'not copies=archive:1');
    assert.equal(renderMapLog(parseMapLog(gpc)), gpc);
  });

  it('setConfigValue matches git-annex config --set on a crafted config.log', () => {
    const input = lines('5s  emptyfield', '5s annex.dotfiles', '5s annex.largefiles first', '5s annex.largefiles second',
      '4s annex.largefiles older', '6 annex.x  two  spaces ', '7s a.b\ttab v', 'x annex.y z', '8s  ', '9s z.z', '10s y.y ');
    const expected = lines('8s  ', '7s a.b\ttab v', '100s annex.addunlocked true', '5s annex.largefiles second',
      '6s annex.x  two  spaces ', '10s y.y ', '5s annex.dotfiles', 'x annex.y z', '9s z.z');
    assert.equal(renderMapLog(setConfigValue(parseMapLog(input), 'annex.addunlocked', 'true', sec(100))), expected);
  });

  it('setMapValue matches git-annex groupwanted on a crafted log', () => {
    const input = lines('5s  emptyfield', '5s g1', '5s g2 first', '5s g2 second', '6s g3 ', '7s g4  x');
    const expected = lines('5s  emptyfield', '5s g2 second', '6s g3 ', '7s g4  x', '100s zz anything', '5s g1');
    assert.equal(renderMapLog(setMapValue(parseMapLog(input), 'zz', 'anything', sec(100))), expected);
  });

  it('bumps per field; config leaves an unchanged or already unset setting alone', () => {
    const log = parseMapLog(lines('100.5s annex.largefiles x', '500s annex.dotfiles true'));
    assert.equal(renderMapLog(setConfigValue(log, 'annex.largefiles', 'y', sec(100))),
      lines('500s annex.dotfiles true', '101.5s annex.largefiles y'));
    assert.equal(setConfigValue(log, 'annex.dotfiles', 'true', sec(100)), log);
    assert.equal(setConfigValue(log, 'annex.other', '', sec(100)), log);
    assert.equal(renderMapLog(setConfigValue(log, 'annex.dotfiles', '', sec(100))),
      lines('501s annex.dotfiles ', '100.5s annex.largefiles x'));
    assert.deepEqual(currentConfig(log), new Map([['annex.dotfiles', 'true'], ['annex.largefiles', 'x']]));
    assert.equal(renderMapLog(setMapValue(parseMapLog('100s g v\n'), 'g', 'v', sec(100))), '101s g v\n');
  });

  it('refuses fields and values that would corrupt the log', () => {
    assert.throws(() => setMapValue(parseMapLog(''), 'a b', 'v', 0n), InvalidLogFieldError);
    assert.throws(() => setMapValue(parseMapLog(''), '', 'v', 0n), InvalidLogFieldError);
    assert.throws(() => setConfigValue(parseMapLog(''), 'a', 'x\ny', 0n), InvalidLogFieldError);
  });

  const canonicalMapLog = fc.dictionary(word, fc.record({ value: text(), clock })).map((d): ParsedLog<MapLogEntry> => ({
    entries: byteOrder(Object.keys(d)).map((field) => ({ field, ...d[field]! })),
    unparsed: [],
  }));
  const mapLine = fc.oneof(
    fc.tuple(clock, word, text()).map(([c, f, v]) => `${formatClock(c)} ${f} ${v}`),
    text(20),
  );

  it('parse of render is the identity; render of parse of render is render; junk is kept', () => {
    fc.assert(fc.property(canonicalMapLog, (log) => assert.deepEqual(parseMapLog(renderMapLog(log)), log)));
    fc.assert(fc.property(fc.array(mapLine, { maxLength: 12 }), (ls) => {
      const once = renderMapLog(parseMapLog(ls.join('\r\n')));
      assert.equal(renderMapLog(parseMapLog(once)), once);
    }));
    fc.assert(fc.property(canonicalMapLog, fc.array(text(10).map((s) => `#${s}`), { maxLength: 5 }), (log, junk) => {
      assert.deepEqual(parseMapLog(renderMapLog({ entries: log.entries, unparsed: junk })).unparsed, junk);
    }));
  });

  it('newest clock wins, a tie goes to the later line', () => {
    const line = fc.tuple(fc.constantFrom('f1', 'f2'), fc.nat(9), fc.integer({ min: 1, max: 3 }));
    fc.assert(fc.property(fc.array(line, { minLength: 1, maxLength: 15 }), (ls) => {
      const current = currentMapValues(parseMapLog(ls.map(([f, n, c]) => `${c}s ${f} v${n}`).join('\n')));
      for (const [field, e] of current) {
        const mine = ls.filter(([f]) => f === field);
        const newest = Math.max(...mine.map(([, , c]) => c));
        assert.equal(e.value, `v${mine.filter(([, , c]) => c === newest).at(-1)![1]}`);
      }
    }));
  });
});

describe('location logs', () => {
  const example = lines(
    '1795505451.320316423s 1 05844c1f-84ce-4518-a4be-ec5be5ec092a',
    '1795505450.549921025s 1 08fe1344-4f49-4120-b015-5c4aebe2237f',
    '1795505680.39054425s 1 0e1fe1fa-ad99-4eff-89c3-a6be01962279',
    '1795505525.703223457s 1 1957d0c6-0a03-42ea-aa0f-d9b7d7c8ed49',
    '1795505450.305136992s 1 443c7bae-ee56-4c3e-b3f2-0fad676e0772',
    '1795505357.397720671s 1 894b0417-bbb1-4924-983e-725a5be69f79',
    '1795505860.263938043s 0 cf718b6e-cfd3-4b58-a524-a89bc2d49a80',
  );

  it('reads and rewrites the full example of annex-format §3.2 unchanged', () => {
    const log = parseLocationLog(example);
    assert.equal(renderLocationLog(log), example);
    assert.equal(presentUuids(log).length, 6);
    assert.ok(!presentUuids(log).includes('cf718b6e-cfd3-4b58-a524-a89bc2d49a80'));
  });

  // Crafted journal files, then `GIT_ANNEX_VECTOR_CLOCK=1000 git annex setpresentkey KEY zz 1`; expected is
  // git-annex's output followed by the lines it dropped.
  it('setLocation matches git-annex setpresentkey on crafted logs', () => {
    const input1 = lines('5s 1 a1', '5s 0 a1', '5s 0 a2', '5s 1 a2', '6s X a3', '5s 1 a3', '5s 2 a4', '5s 1 a5 with space',
      '5s 1  a6', '5s 1', '5s 1 ', '5s  1 a7', '5s 10 a8', '5 1 a9', '5s 1 b1', '5s 1 b1', '4s 0 b1', '7s 0 b2', '7s 0 b2');
    const expected1 = lines('5s 1 ', '5s 1  a6', '5s 1 a1', '5s 0 a2', '6s X a3', '5s 1 a5 with space', '5s 1 a9',
      '5s 1 b1', '7s 0 b2', '1000s 1 zz', '5s 2 a4', '5s 1', '5s  1 a7', '5s 10 a8');
    assert.equal(renderLocationLog(setLocation(parseLocationLog(input1), 'zz', '1', sec(1000))), expected1);
    const input2 = lines('5s 1', '5s X a', '5s 1 a', '5s 0 a', '5s 0 b', '5s X b', '5s 1 b', '5s 1 c', '5s 1 c', '5s 0 c',
      '5s 1 d', '6s 0 d', '5s X d', '5s 1 e', '4s 0 e', '5s 0 e');
    const expected2 = lines('5s X a', '5s 0 b', '5s 1 c', '6s 0 d', '5s 1 e', '1000s 1 zz', '5s 1');
    assert.equal(renderLocationLog(setLocation(parseLocationLog(input2), 'zz', '1', sec(1000))), expected2);
  });

  it('bumps per UUID and leaves a status already in effect alone', () => {
    let log = parseLocationLog(lines('500s 1 other', '200s 0 zz', '300s 1 yy', '100s 1 xx'));
    log = setLocation(log, 'zz', '1', sec(100));
    assert.equal(renderLocationLog(log), lines('500s 1 other', '100s 1 xx', '300s 1 yy', '201s 1 zz'));
    assert.equal(setLocation(log, 'yy', '1', sec(100)), log);
    log = setLocation(log, 'xx', '0', sec(100));
    log = setLocation(log, 'ww', '0', sec(100));
    assert.equal(renderLocationLog(log), lines('500s 1 other', '100s 0 ww', '101s 0 xx', '300s 1 yy', '201s 1 zz'));
    assert.deepEqual(presentUuids(log), ['other', 'yy', 'zz']);
    const tie = parseLocationLog(lines('200s 0 zz', '200s 1 zz'));
    assert.equal(renderLocationLog(setLocation(tie, 'zz', '1', sec(100))), '201s 1 zz\n');
    assert.throws(() => setLocation(tie, 'a\nb', '1', 0n), InvalidLogFieldError);
  });

  const canonicalLocationLog = fc.dictionary(word, fc.record({ status: fc.constantFrom('1', '0', 'X'), clock }))
    .map((d): ParsedLog<LocationLogEntry> => ({
      entries: byteOrder(Object.keys(d)).map((uuid) => ({ uuid, ...d[uuid]! })),
      unparsed: [],
    }));
  const locationLine = fc.oneof(
    fc.tuple(clock, fc.constantFrom('1', '0', 'X', '2'), text()).map(([c, s, u]) => `${formatClock(c)} ${s} ${u}`),
    text(20),
  );

  it('parse of render is the identity; render of parse of render is render; junk is kept', () => {
    fc.assert(fc.property(canonicalLocationLog, (log) => assert.deepEqual(parseLocationLog(renderLocationLog(log)), log)));
    fc.assert(fc.property(fc.array(locationLine, { maxLength: 12 }), (ls) => {
      const once = renderLocationLog(parseLocationLog(ls.join('\n')));
      assert.equal(renderLocationLog(parseLocationLog(once)), once);
    }));
    fc.assert(fc.property(canonicalLocationLog, fc.array(text(10).map((s) => `#${s}`), { maxLength: 5 }), (log, junk) => {
      assert.deepEqual(parseLocationLog(renderLocationLog({ entries: log.entries, unparsed: junk })).unparsed, junk);
    }));
  });

  it('newest clock wins, a tie goes to the EARLIER line (unlike the other logs)', () => {
    const line = fc.tuple(fc.constantFrom('u1', 'u2'), fc.constantFrom('1', '0', 'X'), fc.integer({ min: 1, max: 3 }));
    fc.assert(fc.property(fc.array(line, { minLength: 1, maxLength: 15 }), (ls) => {
      const current = currentLocations(parseLocationLog(ls.map(([u, s, c]) => `${c}s ${s} ${u}`).join('\n')));
      for (const [uuid, e] of current) {
        const mine = ls.filter(([u]) => u === uuid);
        const newest = Math.max(...mine.map(([, , c]) => c));
        assert.equal(e.status, mine.find(([, , c]) => c === newest)![1]);
      }
    }));
  });
});

describe('chunk logs', () => {
  it('reads the example of annex-format §3.2', () => {
    const example = '1795505451.319509482s 05844c1f-84ce-4518-a4be-ec5be5ec092a:1048576 3\n';
    const log = parseChunkLog(example);
    assert.deepEqual(currentChunks(log), [{
      uuid: '05844c1f-84ce-4518-a4be-ec5be5ec092a', chunkSize: 1048576, count: 3, clock: 1795505451_319509482000n,
    }]);
    assert.equal(renderChunkLog(log), example);
  });

  it('setChunkCount matches git-annex drop --from on a crafted chunk log', () => {
    const remote = '3cbc9ef7-6d9c-4b46-bd40-6a1d0176b9b8';
    const other = '1795617642.074527253s d78ad84f-04ab-47c7-b464-637e1e3522df:1024 2930';
    const junk = ['5s a1:abc 5', '5s a1:-3 6', '5s a1:99999999999999999999 7', '5s a2:5 x', '5s a2:6  8', '5s a2:7 9 ',
      '5s a2:8 +9', '5s a3 5', '5s a3:1:2 5', '5s a5:5 -1', '5s a6: 1', '5s a7:5 1 2'];
    const input = lines(`1795617641.473085414s ${remote}:1048576 3`, other, '5s a1:5 1', '5s a1:1048576 2', '5s a1:200 3',
      '5s a1:0010 4', '5s a1:abc 5', '5s a1:-3 6', '5s a1:99999999999999999999 7', '5s a2:5 x', '5s a2:6  8', '5s a2:7 9 ',
      '5s a2:8 +9', '5s a2:9 010', '5s a3 5', '5s a3:1:2 5', '5s :7 1', '5s a4:5 1', '5s a4:5 2', '5s a5:5 -1', '5s a6: 1',
      '5s a7:5 1 2');
    // git-annex also kept (as unknown chunk methods, sorted in) a1:-3, a1:abc, a6: and a1:<the size wrapped to
    // Int64>; ferry keeps those verbatim with the other unreadable lines instead.
    const expected = lines('5s :7 1', `1795617642.473085414s ${remote}:1048576 0`, '5s a1:5 1', '5s a1:10 4', '5s a1:200 3',
      '5s a1:1048576 2', '5s a2:9 10', '5s a4:5 2', other, ...junk);
    assert.equal(renderChunkLog(setChunkCount(parseChunkLog(input), remote, 1048576, 0, sec(3000))), expected);
  });

  it('sorts by UUID bytes, then chunk size numerically', () => {
    let log = parseChunkLog('');
    for (const [u, size] of [['b', 200], ['a', 1048576], ['b', 5], ['a', 10]] as const) log = setChunkCount(log, u, size, 1, sec(1));
    assert.equal(renderChunkLog(log), lines('1s a:10 1', '1s a:1048576 1', '1s b:5 1', '1s b:200 1'));
    log = setChunkCount(log, 'a', 10, 0, sec(1));
    assert.equal(currentChunks(log)[0]!.clock, sec(2));
  });

  it('refuses fields that would corrupt the log', () => {
    const empty = parseChunkLog('');
    for (const [u, size, count] of [['a:b', 1, 1], ['a b', 1, 1], ['', 1, 1], ['a', -1, 1], ['a', 1.5, 1], ['a', 1, NaN]] as const) {
      assert.throws(() => setChunkCount(empty, u, size, count, 0n), InvalidLogFieldError);
    }
  });

  const chunkWord = fc.string({ unit: fc.constantFrom('a', 'f', '0', '-', 'é', '😀', '\uE000'), minLength: 1, maxLength: 6 });
  const canonicalChunkLog = fc.array(fc.record({
    uuid: chunkWord, chunkSize: fc.nat(), count: fc.nat(), clock,
  }), { maxLength: 8 }).map((es): ParsedLog<ChunkLogEntry> => {
    const unique = new Map(es.map((e) => [`${e.uuid}:${e.chunkSize}`, { ...e }]));
    const entries = [...unique.values()].sort((a, b) => compareBytes(a.uuid, b.uuid) || a.chunkSize - b.chunkSize);
    return { entries, unparsed: [] };
  });

  it('parse of render is the identity; render of parse of render is render', () => {
    fc.assert(fc.property(canonicalChunkLog, (log) => assert.deepEqual(parseChunkLog(renderChunkLog(log)), log)));
    const line = fc.oneof(
      fc.tuple(clock, chunkWord, fc.nat(300), fc.nat(9)).map(([c, u, s, n]) => `${formatClock(c)} ${u}:${s} ${n}`),
      text(20),
    );
    fc.assert(fc.property(fc.array(line, { maxLength: 12 }), (ls) => {
      const once = renderChunkLog(parseChunkLog(ls.join('\n')));
      assert.equal(renderChunkLog(parseChunkLog(once)), once);
    }));
  });
});

describe('journal file names', () => {
  it('mangles as git-annex does', () => {
    assert.equal(journalFileName('uuid.log'), 'uuid.log');
    assert.equal(journalFileName('028/edc/SHA256E-s13--f2855.txt.log'), '028_edc_SHA256E-s13--f2855.txt.log');
    assert.equal(journalFileName('d88/08e/WORM-s2-m1795617666--my__fi_le.txt.log'),
      'd88_08e_WORM-s2-m1795617666--my____fi__le.txt.log');
    assert.equal(branchPathOfJournalFile('d88_08e_WORM-s2-m1795617666--my____fi__le.txt.log'),
      'd88/08e/WORM-s2-m1795617666--my__fi_le.txt.log');
    assert.equal(branchPathOfJournalFile('a___b'), 'a_/b');
    assert.equal(branchPathOfJournalFile('a_'), 'a');
  });

  it('round-trips any branch path whose components are non-empty and do not start with _', () => {
    const path = fc.string({ unit: fc.constantFrom('a', '_', '/', '-', '.', 'é'), maxLength: 20 })
      .filter((p) => !/^[/_]|\/[/_]|\/$/.test(p));
    fc.assert(fc.property(path, (p) => branchPathOfJournalFile(journalFileName(p)) === p && !journalFileName(p).includes('/')));
  });
});
