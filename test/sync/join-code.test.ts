import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { JoinCodeError, decodeJoinCode, encodeJoinCode } from '../../src/sync/index.js';
import type { JoinCode } from '../../src/sync/index.js';

const S3_CODE: JoinCode = {
  name: 'cloud', type: 'S3', uuid: '6a29533b-7e9a-4f25-b685-e04e61bd89cb',
  params: { host: '127.0.0.1', port: '9000', protocol: 'http', bucket: 'photos', fileprefix: 'annex/', datacenter: 'US', requeststyle: 'path' },
  // As git-annex makes one: base64 of gpg's armoured random bytes and a newline.
  cipher: Buffer.from(`${randomBytes(513).toString('base64')}\n`).toString('base64'),
  notify: ['relay=ws://relay.example.net:7080', 'mqtt=mqtts://alice@broker.example.net'],
  folder: 'Photos',
  s3Credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
  passwords: { mqtt: 'hunter2' },
};

const codeArb: fc.Arbitrary<JoinCode> = fc.record({
  name: fc.stringMatching(/^[a-z][a-z0-9_-]{0,15}$/),
  type: fc.constantFrom('directory' as const, 'S3' as const),
  uuid: fc.uuid(),
  params: fc.dictionary(fc.constantFrom('directory', 'host', 'port', 'bucket', 'fileprefix'), fc.string({ maxLength: 40 })).map((d) => ({ ...d })),
  notify: fc.array(fc.string({ maxLength: 30 }), { maxLength: 3 }),
}, { requiredKeys: ['name', 'type', 'uuid', 'params', 'notify'] }).chain((base) => fc.record({
  cipher: fc.option(fc.oneof(
    fc.base64String({ maxLength: 200 }),
    fc.string({ maxLength: 50 }),
    fc.uint8Array({ minLength: 1, maxLength: 600 }).map((b) => Buffer.from(`${Buffer.from(b).toString('base64')}\n`).toString('base64')),
  ), { nil: undefined }),
  folder: fc.option(fc.string({ minLength: 1, maxLength: 20 }), { nil: undefined }),
}).map((extra) => ({
  ...base,
  ...(extra.cipher !== undefined ? { cipher: extra.cipher } : {}),
  ...(extra.folder !== undefined ? { folder: extra.folder } : {}),
})));

test('a join code decodes to exactly what was encoded, in any letter case and with white space', () => {
  fc.assert(fc.property(codeArb, (c) => {
    const text = encodeJoinCode(c);
    assert.match(text, /^ferry1-[0-9a-hjkmnp-tv-z]+$/);
    assert.deepEqual(decodeJoinCode(text), c);
    assert.deepEqual(decodeJoinCode(`  ${text.toUpperCase().replace(/(.{60})/g, '$1\n')}\n`), c);
  }));
  assert.deepEqual(decodeJoinCode(encodeJoinCode(S3_CODE)), S3_CODE);
});

test('a real-sized code (cipher, S3 location and keys, two notifiers) stays copy-pasteable', () => {
  const text = encodeJoinCode(S3_CODE);
  assert.ok(text.length < 1500, `a code of ${text.length} characters`);
});

type Mutation = { kind: 'replace'; at: number; ch: string } | { kind: 'delete'; at: number } | { kind: 'insert'; at: number; ch: string }
  | { kind: 'swap'; at: number } | { kind: 'truncate'; keep: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), ch: fc.constantFrom(...'0123456789abcdefghijklmnopqrstuvwxyz-_!') }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), ch: fc.constantFrom(...'0123456789abcdefghjkmnpqrstvwxyz') }),
  fc.record({ kind: fc.constant('swap' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('truncate' as const), keep: fc.nat() }),
);

function mutate(text: string, m: Mutation): string {
  const at = 'at' in m ? m.at % text.length : 0;
  switch (m.kind) {
    case 'replace': return text.slice(0, at) + m.ch + text.slice(at + 1);
    case 'delete': return text.slice(0, at) + text.slice(at + 1);
    case 'insert': return text.slice(0, at) + m.ch + text.slice(at);
    case 'swap': return at + 1 < text.length ? text.slice(0, at) + text[at + 1]! + text[at]! + text.slice(at + 2) : text.slice(0, -1);
    case 'truncate': return text.slice(0, m.keep % text.length);
  }
}

test('a mutated code (typo, lost or extra character, swap, cut) is refused or decodes to exactly the original', () => {
  let refused = 0;
  fc.assert(fc.property(codeArb, fc.array(mutationArb, { minLength: 1, maxLength: 3 }), (c, mutations) => {
    const text = encodeJoinCode(c);
    const damaged = mutations.reduce(mutate, text);
    let decoded: JoinCode | undefined;
    try {
      decoded = decodeJoinCode(damaged);
    } catch (err) {
      assert.ok(err instanceof JoinCodeError, `not a JoinCodeError: ${String(err)}`);
      assert.match(err.message, /^this join code /);
      refused++;
      return;
    }
    assert.deepEqual(decoded, c);
  }), { numRuns: 2000 });
  assert.ok(refused > 1500, `only ${refused} of 2000 mutated codes were refused`);
});

test('each kind of damage gets its own clear message', () => {
  const text = encodeJoinCode(S3_CODE);
  const refusal = (t: string) => assert.throws(() => decodeJoinCode(t), JoinCodeError);
  refusal(text.slice(0, 200));
  assert.throws(() => decodeJoinCode(text.slice(0, 200)), /damaged|cut off/);
  const typo = text.slice(0, 50) + (text[50] === 'a' ? 'b' : 'a') + text.slice(51);
  assert.throws(() => decodeJoinCode(typo), /damaged: its checksum does not match/);
  assert.throws(() => decodeJoinCode(text.replace('ferry1-', 'ferry2-')), /is of version 2; this ferry reads version 1/);
  assert.throws(() => decodeJoinCode('hello'), /does not start with ferry1-/);
  assert.throws(() => decodeJoinCode(`${text.slice(0, 30)}!${text.slice(31)}`), /character that cannot be in a code \('!' at position 24/);
  assert.throws(() => decodeJoinCode('ferry1-'), /too short/);
});

test('letters people read as digits (i, l, o) are read as 1, 1 and 0', () => {
  const text = encodeJoinCode(S3_CODE);
  const body = text.slice('ferry1-'.length);
  const confusable = body.replace(/1/g, 'l').replace(/0/g, 'O');
  assert.deepEqual(decodeJoinCode(`ferry1-${confusable}`), S3_CODE);
});
