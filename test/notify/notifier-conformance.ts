// The Notifier conformance suite (STYLE 3): one case per behaviour promised by the contract comments of
// src/notify/notifier.ts, run against every transport and its real server (the relay, mosquitto, prosody)
// and poll over a real store. A transport's test file calls runNotifierConformance with a fixture and, where
// the transport cannot do something, a skip whose value is the reason. Waits are on events with a timeout,
// never fixed sleeps.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import { NoticeChannel, NoticeHub, NotifierUnavailableError } from '../../src/notify/index.js';
import type { ChangeNotice, Notifier } from '../../src/notify/index.js';

export interface NotifierFixture {
  /** A fresh, unstarted notifier on this fixture's server for `channel`; `now` is its clock. */
  make(channel: NoticeChannel, now?: () => number): Notifier;
  /** One pointed at a server that is not there (a closed port). */
  makeUnreachable(channel: NoticeChannel): Notifier;
  /** Puts raw bytes on the channel's wire as a hostile client would; `peerTag` names the MQTT topic's last level. */
  publishRaw(channelId: string, frame: Uint8Array, peerTag: string): Promise<void>;
  /** Stops the server and starts it again on the same address and data. */
  restart(): Promise<void>;
}

export interface NotifierConformanceOptions {
  /** Cases this transport cannot pass, each with the reason. */
  readonly skip?: Partial<Record<NotifierCase, string>>;
  /** How long a delivery may take (poll: a few intervals). Default 10 s. */
  readonly deliveryMs?: number;
}

interface CaseContext {
  readonly fx: NotifierFixture;
  readonly t: TestContext;
  readonly deliveryMs: number;
  /** A channel no other case uses. */
  readonly channel: NoticeChannel;
  readonly secret: Buffer;
  readonly uuid: string;
}

type Case = (c: CaseContext) => Promise<void>;

const peerA = 'a'.repeat(32);
const peerB = 'b'.repeat(32);

/** Collects what a started notifier delivers; `next` waits for a notice matching `pred`. */
class Inbox {
  readonly notices: ChangeNotice[] = [];
  readonly dropped: string[] = [];
  #waiters: { pred: (n: ChangeNotice) => boolean; resolve: (n: ChangeNotice) => void }[] = [];

  readonly onNotice = (n: ChangeNotice): void => {
    this.notices.push(n);
    for (const w of this.#waiters.filter((x) => x.pred(n))) {
      this.#waiters.splice(this.#waiters.indexOf(w), 1);
      w.resolve(n);
    }
  };

  async next(pred: (n: ChangeNotice) => boolean, ms: number, what: string): Promise<ChangeNotice> {
    const seen = this.notices.find(pred);
    if (seen !== undefined) return seen;
    return new Promise<ChangeNotice>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms (got ${JSON.stringify(this.notices)})`)), ms);
      this.#waiters.push({ pred, resolve: (n) => { clearTimeout(timer); resolve(n); } });
    });
  }
}

function notice(peer: string, seq: number, time = Date.now()): ChangeNotice {
  return { peer, seq, time };
}

const is = (peer: string, seq: number) => (n: ChangeNotice) => n.peer === peer && n.seq === seq;

/** Starts a notifier from the fixture, closed when the test ends. */
async function started(c: CaseContext, channel = c.channel, now?: () => number): Promise<{ notifier: Notifier; inbox: Inbox }> {
  const notifier = c.fx.make(channel, now);
  c.t.after(() => notifier.close());
  const inbox = new Inbox();
  await notifier.start(inbox.onNotice, { dropped: (r) => inbox.dropped.push(r) });
  return { notifier, inbox };
}

const cases = {
  'an announced notice reaches every other started subscriber': async (c) => {
    const a = await started(c);
    const b = await started(c);
    const d = await started(c);
    const sent = notice(peerA, 7, 1_700_000_000_123);
    await a.notifier.announce(sent);
    for (const [inbox, where] of [[b.inbox, 'b'], [d.inbox, 'd']] as const) {
      const got = await inbox.next(is(peerA, 7), c.deliveryMs, `notice at ${where}`);
      // A messenger carries the sender's time; poll reads the cloud, which has only the seq.
      if (a.notifier.capabilities.prompt) assert.deepEqual(got, sent);
    }
  },

  'a subscriber that starts after the announce still gets it (catch-up)': async (c) => {
    const a = await started(c);
    const witness = await started(c);
    await a.notifier.announce(notice(peerA, 3));
    // Once the witness has it, the server has it; b, started only now, can get it from the server's memory
    // (or the cloud, for poll) alone.
    await witness.inbox.next(is(peerA, 3), c.deliveryMs, 'notice at the witness');
    const b = await started(c);
    await b.inbox.next(is(peerA, 3), c.deliveryMs, 'caught-up notice');
  },

  "catch-up brings every peer's last notice, not only the last peer's": async (c) => {
    const a = await started(c);
    const other = await started(c);
    const witness = await started(c);
    await a.notifier.announce(notice(peerA, 1));
    await a.notifier.announce(notice(peerA, 2));
    await other.notifier.announce(notice(peerB, 5));
    await witness.inbox.next(is(peerA, 2), c.deliveryMs, "a's notice at the witness");
    await witness.inbox.next(is(peerB, 5), c.deliveryMs, "b's notice at the witness");
    const late = await started(c);
    await late.inbox.next(is(peerA, 2), c.deliveryMs, "peer a's last notice");
    await late.inbox.next(is(peerB, 5), c.deliveryMs, "peer b's last notice");
  },

  'a late joiner two minutes later fetches exactly once (hub dedupe)': async (c) => {
    let clock = Date.now();
    const now = () => clock;
    const a = await started(c);
    const witness = await started(c);
    await a.notifier.announce(notice(peerA, 9, clock));
    await witness.inbox.next(is(peerA, 9), c.deliveryMs, 'notice at the witness');
    clock += 2 * 60_000;
    let seen = 0;
    const fetched: ChangeNotice[] = [];
    const hub = new NoticeHub([c.fx.make(c.channel, now)], {
      self: peerB,
      seen: () => seen,
      fetch: (n) => {
        fetched.push(n);
        seen = Math.max(seen, n.seq);
        return Promise.resolve();
      },
    });
    c.t.after(() => hub.close());
    await hub.start();
    await waitUntil(() => fetched.length > 0, c.deliveryMs, 'the fetch a retained notice asks for');
    // The same notice again (a replay, a reconnect's catch-up) and an older one: neither fetches again. A
    // newer notice after them proves they were handled before it.
    await a.notifier.announce(notice(peerA, 9, clock));
    await a.notifier.announce(notice(peerA, 4, clock));
    await a.notifier.announce(notice(peerA, 10, clock));
    await waitUntil(() => fetched.some((n) => n.seq === 10), c.deliveryMs, 'the fetch of seq 10');
    assert.deepEqual(fetched.map((n) => n.seq), [9, 10]);
  },

  'forged, moved and malformed frames are dropped, and delivery goes on': async (c) => {
    const b = await started(c);
    const thief = new NoticeChannel(randomBytes(32), c.uuid);
    const elsewhere = new NoticeChannel(c.secret, `${c.uuid.slice(0, -1)}${c.uuid.endsWith('0') ? '1' : '0'}`); // another remote, same secret
    const genuine = c.channel.seal(notice(peerA, 11));
    const forged = thief.seal(notice(peerA, 666));
    const flipped = Buffer.from(genuine);
    flipped[flipped.length - 20] = flipped[flipped.length - 20]! ^ 1;
    const hostile: Buffer[] = [
      withChannel(forged, c.channel.id), // the channel id is on the wire: a forger can copy it into the header
      flipped,
      withChannel(elsewhere.seal(notice(peerA, 667)), c.channel.id), // another remote's notice moved here
      genuine.subarray(0, 40),
      Buffer.alloc(0),
      randomBytes(79),
      Buffer.concat([genuine, Buffer.alloc(2000)]),
    ];
    for (const frame of hostile) await c.fx.publishRaw(c.channel.id, frame, c.channel.peerTag(peerB));
    await c.fx.publishRaw(c.channel.id, genuine, c.channel.peerTag(peerA));
    await b.inbox.next(is(peerA, 11), c.deliveryMs, 'the genuine notice after the hostile ones');
    assert.deepEqual(b.inbox.notices.filter((n) => n.seq !== 11), [], 'nothing hostile delivered');
  },

  'reconnects after the server restarts, and delivers again': async (c) => {
    const a = await started(c);
    const b = await started(c);
    await a.notifier.announce(notice(peerA, 1));
    await b.inbox.next(is(peerA, 1), c.deliveryMs, 'notice before the restart');
    await c.fx.restart();
    // Announced at once: a may still be reconnecting, so the notice waits in it and goes once it is back.
    await a.notifier.announce(notice(peerA, 2));
    await b.inbox.next(is(peerA, 2), 60_000, 'notice after the restart');
  },

  'close releases every socket and timer, and nothing is delivered after it': async (c) => {
    const before = resources();
    const a = await started(c);
    const b = await started(c);
    await a.notifier.announce(notice(peerA, 1));
    await b.inbox.next(is(peerA, 1), c.deliveryMs, 'notice');
    await b.notifier.close();
    await b.notifier.close(); // idempotent
    await a.notifier.announce(notice(peerA, 2));
    await a.notifier.close();
    await waitUntil(() => resources() <= before, 10_000, `resources back to ${before} (now ${resources()}: ${process.getActiveResourcesInfo().join(', ')})`);
    assert.deepEqual(b.inbox.notices.map((n) => n.seq).filter((s) => s === 2), [], 'no delivery after close');
  },

  'start rejects with NotifierUnavailableError when the server cannot be reached': async (c) => {
    const before = resources();
    const n = c.fx.makeUnreachable(c.channel);
    await assert.rejects(n.start(() => assert.fail('no notice expected')), NotifierUnavailableError);
    await n.close();
    await waitUntil(() => resources() <= before, 10_000, `resources back to ${before} (now ${process.getActiveResourcesInfo().join(', ')})`);
  },
} satisfies Record<string, Case>;

export type NotifierCase = keyof typeof cases;

export function runNotifierConformance(name: string, setup: (t: TestContext) => Promise<NotifierFixture>, opts: NotifierConformanceOptions = {}): void {
  describe(`Notifier conformance: ${name}`, () => {
    for (const [caseName, run] of Object.entries(cases) as [NotifierCase, Case][]) {
      const reason = opts.skip?.[caseName];
      test(caseName, reason === undefined ? {} : { skip: `reason: ${reason}` }, async (t) => {
        const fx = await setup(t);
        const secret = randomBytes(32);
        const uuid = randomUUID();
        await run({ fx, t, deliveryMs: opts.deliveryMs ?? 10_000, channel: new NoticeChannel(secret, uuid), secret, uuid });
      });
    }
  });
}

function withChannel(frame: Buffer, channelId: string): Buffer {
  const out = Buffer.from(frame);
  Buffer.from(channelId, 'hex').copy(out, 3);
  return out;
}

/** Handles and requests that keep the process alive (sockets, timers), as Node counts them. */
function resources(): number {
  return process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap' && r !== 'FSReqCallback').length;
}

async function waitUntil(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
