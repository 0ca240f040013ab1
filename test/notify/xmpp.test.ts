import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import { client, xml } from '@xmpp/client';
import type { Element } from '@xmpp/client';
import { NoticeChannel } from '../../src/notify/notice.js';
import { NotifierConfigError, NotifierUnavailableError } from '../../src/notify/notifier.js';
import type { ChangeNotice, Notifier } from '../../src/notify/notifier.js';
import { createXmppNotifier, parseXmppSpec } from '../../src/notify/transports/xmpp.js';
import { freePort } from '../servers/free-port.js';
import { startProsody } from '../servers/prosody.js';
import type { ProsodyServer } from '../servers/prosody.js';
import { runNotifierConformance } from './notifier-conformance.js';
import type { NotifierFixture } from './notifier-conformance.js';

const password = 'correct horse';
const peerA = 'a'.repeat(32);
const peerB = 'b'.repeat(32);

/** prosody with the shared account alice@localhost and a stranger, bob@localhost. */
async function prosodyWithAccounts(t: TestContext): Promise<ProsodyServer> {
  const server = await startProsody(t);
  await server.register('alice', password);
  await server.register('bob', password);
  return server;
}

function spec(server: ProsodyServer, user = 'alice'): string {
  return `${user}@${server.domain},service=${server.service},tls=off`;
}

async function prosodyFixture(t: TestContext): Promise<NotifierFixture> {
  const server = await prosodyWithAccounts(t);
  const closedPort = await freePort();
  return {
    make: (channel, now) => createXmppNotifier(parseXmppSpec(spec(server)), { channel, password, ...(now ? { now } : {}) }),
    makeUnreachable: (channel) => createXmppNotifier(parseXmppSpec(`alice@localhost,service=xmpp://127.0.0.1:${closedPort},tls=off`), { channel, password }),
    publishRaw: (channelId, frame) => sendAsAccount(server, 'alice', (to) => headline(to, channelId, Buffer.from(frame).toString('base64'))),
    restart: () => server.restart(),
  };
}

// No skips: prosody keeps no headline for a device that is offline, but every device that is online resends
// its newest notice to a device that comes online, and that is the catch-up these cases check (announcers stay
// online in them). capabilities.catchUp stays false: a device that went offline takes its notice with it.
runNotifierConformance('xmpp (prosody)', prosodyFixture);

function headline(to: string, channelId: string, body: string): Element {
  return xml('message', { to, type: 'headline' }, xml('body', null, body), xml('notice', { xmlns: 'urn:x-ferry:notify:1', channel: channelId }));
}

/**
 * Logs in as `user` (a client that has the password but not the secret) and sends what `stanza` makes to
 * each resource of `user`'s account it sees online, or to alice's bare JID when `user` is a stranger.
 */
async function sendAsAccount(server: ProsodyServer, user: string, stanza: (to: string) => Element): Promise<void> {
  const x = client({ service: server.service, domain: server.domain, username: user, password, resource: `hostile-${randomUUID()}` });
  x.reconnect.stop();
  x.on('error', () => {});
  const resources = new Set<string>();
  x.on('stanza', (s: Element) => {
    const from = s.attrs.from ?? '';
    if (s.name === 'presence' && s.attrs.type === undefined && from.startsWith(`${user}@`) && !from.includes('/hostile-')) resources.add(from);
  });
  const ping = () => x.iqCaller.request(xml('iq', { type: 'get' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
  try {
    await x.start();
    await x.send(xml('presence', null, xml('priority', null, '0')));
    await ping(); // the account's other resources have told us they are there by now
    const targets = user === 'alice' ? [...resources] : ['alice@localhost'];
    for (const to of targets) await x.send(stanza(to));
    await ping(); // prosody has routed them
  } finally {
    await x.stop().catch(() => undefined);
  }
}

/** Records what a started notifier delivers and drops; waits for a notice or a drop with a limit. */
class Inbox {
  readonly notices: ChangeNotice[] = [];
  readonly dropped: string[] = [];
  readonly connections: boolean[] = [];

  readonly onNotice = (n: ChangeNotice): void => {
    this.notices.push(n);
  };

  readonly events = {
    dropped: (reason: string) => this.dropped.push(reason),
    connection: (up: boolean) => this.connections.push(up),
  };

  async until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`no ${what} within ${ms} ms (notices ${JSON.stringify(this.notices)}, dropped ${JSON.stringify(this.dropped)})`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

async function started(t: TestContext, make: () => Notifier): Promise<{ notifier: Notifier; inbox: Inbox }> {
  const notifier = make();
  t.after(() => notifier.close());
  const inbox = new Inbox();
  await notifier.start(inbox.onNotice, inbox.events);
  return { notifier, inbox };
}

const newChannel = () => new NoticeChannel(randomBytes(32), randomUUID());

describe('xmpp transport against prosody', () => {
  test('a wrong password is refused with a clear error, and nothing is left running', async (t) => {
    const server = await prosodyWithAccounts(t);
    const before = process.getActiveResourcesInfo().length;
    const notifier = createXmppNotifier(parseXmppSpec(spec(server)), { channel: newChannel(), password: 'wrong' });
    await assert.rejects(notifier.start(() => {}), (err: unknown) => {
      assert.ok(err instanceof NotifierUnavailableError);
      assert.match(err.message, /^xmpp alice@localhost via xmpp:\/\/127\.0\.0\.1:\d+: the server refused the password for alice@localhost/);
      return true;
    });
    await notifier.close();
    await new Inbox().until(() => process.getActiveResourcesInfo().length <= before, 'release of the refused connection');
  });

  test('without a password start is refused before connecting', async (t) => {
    const server = await prosodyWithAccounts(t);
    const notifier = createXmppNotifier(parseXmppSpec(spec(server)), { channel: newChannel() });
    await assert.rejects(notifier.start(() => {}), /no password was given/);
  });

  test('tls=require refuses to authenticate over a connection without TLS', async (t) => {
    const server = await prosodyWithAccounts(t);
    const notifier = createXmppNotifier(parseXmppSpec(`alice@localhost,service=${server.service}`), { channel: newChannel(), password });
    await assert.rejects(notifier.start(() => {}), (err: unknown) => {
      assert.ok(err instanceof NotifierUnavailableError);
      assert.match(err.message, /the server offers no TLS and tls=require/);
      return true;
    });
  });

  test('tls=require logs in over STARTTLS to a server whose certificate is trusted, and refuses one that is not', async (t) => {
    const server = await startProsody(t, { tls: true });
    await server.register('alice', password);
    const tlsSpec = `alice@localhost,service=${server.service}`;
    const untrusted = createXmppNotifier(parseXmppSpec(tlsSpec), { channel: newChannel(), password });
    await assert.rejects(untrusted.start(() => {}), /the TLS certificate of 127\.0\.0\.1:\d+ was not accepted \(DEPTH_ZERO_SELF_SIGNED_CERT\)/);
    // Node reads extra CAs only at start-up, so the trusting client is another process.
    const script = `
      import { NoticeChannel } from ${JSON.stringify(new URL('../../src/notify/notice.js', import.meta.url).href)};
      import { createXmppNotifier, parseXmppSpec } from ${JSON.stringify(new URL('../../src/notify/transports/xmpp.js', import.meta.url).href)};
      const n = createXmppNotifier(parseXmppSpec(process.argv[1]), { channel: new NoticeChannel(Buffer.alloc(32, 7), 'u'), password: process.env.XMPP_TEST_PASSWORD });
      const got = await new Promise((resolve, reject) => n.start(resolve).then(() => n.announce({ peer: 'a'.repeat(32), seq: 4, time: 0 }), reject));
      await n.close();
      console.log(JSON.stringify(got));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script, tlsSpec], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: server.certificate, XMPP_TEST_PASSWORD: password },
      timeout: 30_000,
    });
    assert.deepEqual(JSON.parse(stdout), { peer: peerA, seq: 4, time: 0 });
  });

  const hasWebSocket = typeof (globalThis as { WebSocket?: unknown }).WebSocket === 'function';
  test('a ws:// service on a Node.js without WebSocket is refused with what to use instead', { skip: hasWebSocket ? 'this Node.js has WebSocket' : false }, async () => {
    const notifier = createXmppNotifier(parseXmppSpec('alice@localhost,service=ws://127.0.0.1:1/xmpp-websocket'), { channel: newChannel(), password });
    await assert.rejects(notifier.start(() => {}), /needs a Node\.js with WebSocket/);
  });

  test('two resources of the account with equal priority both receive, and so does the sender', async (t) => {
    const server = await prosodyWithAccounts(t);
    const channel = newChannel();
    const make = () => createXmppNotifier(parseXmppSpec(spec(server)), { channel, password });
    const a = await started(t, make);
    const b = await started(t, make);
    const c = await started(t, make);
    const sent = { peer: peerA, seq: 5, time: 1_700_000_000_000 };
    await a.notifier.announce(sent);
    for (const [name, r] of [['a', a], ['b', b], ['c', c]] as const) await r.inbox.until(() => r.inbox.notices.length > 0, `notice at ${name}`);
    // Exactly that notice; it may come twice (a device that came online just then is also welcomed with
    // the sender's newest), which the contract allows and the hub absorbs.
    for (const r of [a, b, c]) assert.deepEqual([...new Set(r.inbox.notices.map((n) => JSON.stringify(n)))], [JSON.stringify(sent)]);
  });

  test('announces while the server is down keep only the newest, which goes out once it is back', async (t) => {
    const server = await prosodyWithAccounts(t);
    const channel = newChannel();
    const make = () => createXmppNotifier(parseXmppSpec(spec(server)), { channel, password });
    const a = await started(t, make);
    const b = await started(t, make);
    await server.stop();
    await a.inbox.until(() => a.inbox.connections.includes(false), 'the outage noticed');
    for (const seq of [1, 2, 3]) await a.notifier.announce({ peer: peerA, seq, time: 0 });
    await server.restart();
    await b.inbox.until(() => b.inbox.notices.some((n) => n.seq === 3), 'the newest notice after the outage', 60_000);
    assert.deepEqual(b.inbox.notices.filter((n) => n.seq !== 3), []);
    assert.deepEqual(a.inbox.connections, [true, false, true]);
  });

  test('a device that comes online gets the newest notice of every device still online', async (t) => {
    const server = await prosodyWithAccounts(t);
    const channel = newChannel();
    const make = () => createXmppNotifier(parseXmppSpec(spec(server)), { channel, password });
    const a = await started(t, make);
    const other = await started(t, make);
    await a.notifier.announce({ peer: peerA, seq: 1, time: 0 });
    await a.notifier.announce({ peer: peerA, seq: 2, time: 0 });
    await other.notifier.announce({ peer: peerB, seq: 7, time: 0 });
    const late = await started(t, make);
    await late.inbox.until(() => late.inbox.notices.length >= 2, 'the last notice of each online device');
    assert.deepEqual(late.inbox.notices.map((n) => `${n.peer[0]}${n.seq}`).sort(), ['a2', 'b7']);
  });

  test('a genuine notice from another account is dropped, not delivered', async (t) => {
    const server = await prosodyWithAccounts(t);
    const channel = newChannel();
    const b = await started(t, () => createXmppNotifier(parseXmppSpec(spec(server)), { channel, password }));
    const frame = channel.seal({ peer: peerA, seq: 1, time: 0 });
    await sendAsAccount(server, 'bob', (to) => headline(to, channel.id, frame.toString('base64')));
    await b.inbox.until(() => b.inbox.dropped.length > 0, 'drop of the stranger\'s message');
    assert.match(b.inbox.dropped[0]!, /^a message from bob@localhost\/hostile-[^,]+, not from alice@localhost$/);
    assert.deepEqual(b.inbox.notices, []);
  });

  test('a body that is not base64, an oversized body and a headline without a notice are dropped with reasons', async (t) => {
    const server = await prosodyWithAccounts(t);
    const channel = newChannel();
    const b = await started(t, () => createXmppNotifier(parseXmppSpec(spec(server)), { channel, password }));
    await sendAsAccount(server, 'alice', (to) => headline(to, channel.id, 'not base64!'));
    await sendAsAccount(server, 'alice', (to) => headline(to, channel.id, 'A'.repeat(400)));
    await sendAsAccount(server, 'alice', (to) => xml('message', { to, type: 'headline' }, xml('body', null, 'hello')));
    await b.inbox.until(() => b.inbox.dropped.length >= 3, 'three drops');
    assert.deepEqual(b.inbox.dropped, ['a body that is not base64', 'a body of 400 characters (at most 344)', 'a headline without a ferry notice']);
    assert.deepEqual(b.inbox.notices, []);
  });

  test('notices of another repository sharing the account are ignored', async (t) => {
    const server = await prosodyWithAccounts(t);
    const mine = newChannel();
    const theirs = newChannel();
    const b = await started(t, () => createXmppNotifier(parseXmppSpec(spec(server)), { channel: mine, password }));
    const other = await started(t, () => createXmppNotifier(parseXmppSpec(spec(server)), { channel: theirs, password }));
    const me = await started(t, () => createXmppNotifier(parseXmppSpec(spec(server)), { channel: mine, password }));
    await other.notifier.announce({ peer: peerA, seq: 1, time: 0 });
    await me.notifier.announce({ peer: peerA, seq: 2, time: 0 });
    await b.inbox.until(() => b.inbox.notices.length > 0, 'notice of my channel');
    await other.inbox.until(() => other.inbox.notices.length > 0, 'notice of their channel');
    assert.deepEqual(b.inbox.notices.map((n) => n.seq), [2]);
    assert.deepEqual(other.inbox.notices.map((n) => n.seq), [1]);
    assert.deepEqual([...b.inbox.dropped, ...other.inbox.dropped], []);
  });
});

describe('parseXmppSpec', () => {
  test('a bare account gets the defaults', () => {
    assert.deepEqual(parseXmppSpec('alice@example.org'), {
      jid: 'alice@example.org', username: 'alice', domain: 'example.org', resourcePrefix: 'ferry', service: 'xmpp://example.org:5222', tls: 'require',
    });
  });

  test('resource, service and tls options are read', () => {
    assert.deepEqual(parseXmppSpec('alice@example.org/laptop,service=xmpps://chat.example.org,tls=off'), {
      jid: 'alice@example.org', username: 'alice', domain: 'example.org', resourcePrefix: 'laptop', service: 'xmpps://chat.example.org:5223', tls: 'off',
    });
    assert.equal(parseXmppSpec('a@b,service=xmpp://127.0.0.1:5999').service, 'xmpp://127.0.0.1:5999');
    assert.equal(parseXmppSpec('a@b,service=wss://b/xmpp-websocket').service, 'wss://b/xmpp-websocket');
  });

  const errors: [string, RegExp][] = [
    ['example.org', /^xmpp: 'example\.org' is not an account such as alice@example\.org$/],
    ['@example.org', /^xmpp: user '' is not a valid XMPP localpart/],
    ['al:ice@example.org', /^xmpp: user 'al:ice' is not a valid XMPP localpart/],
    ['alice@exa_mple.org', /^xmpp: host 'exa_mple\.org' is not a domain name$/],
    ['alice@example.org/', /^xmpp: resource '' must be 1 to 64 printable characters/],
    ['alice@example.org,tls', /^xmpp: option 'tls' is not KEY=VALUE/],
    ['alice@example.org,tls=off,tls=off', /^xmpp: option 'tls' is given twice$/],
    ['alice@example.org,tls=maybe', /^xmpp: tls 'maybe' is neither require nor off$/],
    ['alice@example.org,port=5222', /^xmpp: unknown option 'port' \(known: service, tls\)$/],
    ['alice@example.org,service=xmpp://h:x', /^xmpp: service 'xmpp:\/\/h:x' is not a URL such as xmpp:\/\/HOST:PORT$/],
    ['alice@example.org,service=xmpp://alice:pw@h:5222', /^xmpp: service URL must not carry a user or password/],
    ['alice@example.org,service=xmpp:h', /^xmpp: service 'xmpp:h' names no host$/],
    ['alice@example.org,service=mqtt://h:1883', /^xmpp: service scheme 'mqtt:' is not one of xmpp:, xmpps:, ws:, wss:$/],
    ['alice@example.org,service=xmpp://h:5222/path', /^xmpp: service 'xmpp:\/\/h:5222\/path' has a path/],
  ];
  for (const [value, message] of errors) {
    test(`'${value}' is refused: ${message.source}`, () => {
      assert.throws(() => parseXmppSpec(value), (err: unknown) => {
        assert.ok(err instanceof NotifierConfigError);
        assert.match(err.message, message);
        return true;
      });
    });
  }
});
