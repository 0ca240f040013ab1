import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import { NoticeChannel } from '../../src/notify/notice.js';
import { NotifierConfigError, NotifierUnavailableError } from '../../src/notify/notifier.js';
import type { ChangeNotice, Notifier, NotifierDeps } from '../../src/notify/notifier.js';
import { createMqttNotifier, parseMqttSpec, redactMqttSpec } from '../../src/notify/transports/mqtt.js';
import { freePort } from '../servers/free-port.js';
import { publishRetained, startMosquitto } from '../servers/mosquitto.js';
import type { MosquittoOptions, MosquittoServer } from '../servers/mosquitto.js';
import { runNotifierConformance } from './notifier-conformance.js';
import type { NotifierFixture } from './notifier-conformance.js';

const peerA = 'a'.repeat(32);
const peerC = 'c'.repeat(32);

async function mosquittoFixture(t: TestContext): Promise<NotifierFixture> {
  const server = await startMosquitto(t);
  const closedPort = await freePort();
  return {
    make: (channel, now) => createMqttNotifier(parseMqttSpec(server.url), { channel, ...(now ? { now } : {}) }),
    makeUnreachable: (channel) => createMqttNotifier(parseMqttSpec(`mqtt://127.0.0.1:${closedPort}`), { channel }),
    publishRaw: (channelId, frame, peerTag) => publishRetained(server, `ferry/v1/${channelId}/${peerTag}`, frame),
    restart: () => server.restart(),
  };
}

runNotifierConformance('mqtt (mosquitto)', mosquittoFixture);

/** Records what a started notifier delivers, and waits (with a limit) for a notice. */
class Inbox {
  readonly notices: ChangeNotice[] = [];
  readonly connections: boolean[] = [];
  #wake: (() => void) | undefined;

  readonly onNotice = (n: ChangeNotice): void => {
    this.notices.push(n);
    this.#wake?.();
  };

  readonly events = { connection: (up: boolean) => this.connections.push(up) };

  async next(peer: string, seq: number, what: string, ms = 15_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!this.notices.some((n) => n.peer === peer && n.seq === seq)) {
      if (Date.now() > deadline) throw new Error(`no ${what} within ${ms} ms (got ${JSON.stringify(this.notices)})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 200);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }
}

async function started(t: TestContext, server: MosquittoServer, channel: NoticeChannel, extra: Partial<NotifierDeps> & { spec?: string } = {}): Promise<{ notifier: Notifier; inbox: Inbox }> {
  const notifier = createMqttNotifier(parseMqttSpec(extra.spec ?? server.url), { channel, ...extra });
  t.after(() => notifier.close());
  const inbox = new Inbox();
  await notifier.start(inbox.onNotice, inbox.events);
  return { notifier, inbox };
}

const newChannel = () => new NoticeChannel(randomBytes(32), randomUUID());

describe('mqtt transport against mosquitto', () => {
  for (const how of ['restart', 'crash'] as const) {
    test(`retained notices survive a broker ${how} (persistence, autosave on every change)`, async (t) => {
      const server = await startMosquitto(t);
      const channel = newChannel();
      const frame = channel.seal({ peer: peerC, seq: 42, time: 1_700_000_000_000 });
      await publishRetained(server, `ferry/v1/${channel.id}/${channel.peerTag(peerC)}`, frame);
      if (how === 'crash') {
        // autosave_on_changes + autosave_interval 1: the database holds the notice soon after the PUBACK.
        const db = join(server.directory, 'mosquitto.db');
        const deadline = Date.now() + 10_000;
        while (!(await readFile(db).catch(() => Buffer.alloc(0))).includes(frame)) {
          if (Date.now() > deadline) throw new Error('mosquitto did not save the retained notice within 10 s');
          await new Promise((r) => setTimeout(r, 50));
        }
        await server.kill();
      } else {
        await server.stop();
      }
      await server.restart();
      const late = await started(t, server, channel);
      await late.inbox.next(peerC, 42, 'retained notice after the broker came back');
    });
  }

  test('a subscriber reconnects by itself, reports it, and announces made while down go out newest only', async (t) => {
    const server = await startMosquitto(t);
    const channel = newChannel();
    const a = await started(t, server, channel);
    const b = await started(t, server, channel);
    assert.deepEqual(b.inbox.connections, [true]);
    await server.stop();
    // Neither reject: a keeps only the newest, seq 3, and sends it once it is back.
    await a.notifier.announce({ peer: peerA, seq: 2, time: 1 });
    await a.notifier.announce({ peer: peerA, seq: 3, time: 2 });
    await server.restart();
    await b.inbox.next(peerA, 3, 'the newest notice announced while the broker was down');
    assert.deepEqual(b.inbox.notices.filter((n) => n.seq === 2), [], 'the superseded notice was never sent');
    assert.equal(b.inbox.connections[0], true);
    assert.equal(b.inbox.connections[1], false);
    assert.equal(b.inbox.connections.at(-1), true);
  });

  test('a broker that requires a password: the right one works, a wrong or missing one is a clear error', async (t) => {
    const server = await startMosquitto(t, { users: { alice: 'correct horse' } } satisfies MosquittoOptions);
    const channel = newChannel();
    const spec = `mqtt://alice@127.0.0.1:${server.port}`;
    const a = await started(t, server, channel, { spec, password: 'correct horse' });
    await a.notifier.announce({ peer: peerA, seq: 1, time: 1 });
    await a.inbox.next(peerA, 1, 'own notice through the authenticated broker');
    for (const [what, deps] of [['wrong password', { password: 'wrong' }], ['no password', {}]] as const) {
      const n = createMqttNotifier(parseMqttSpec(spec), { channel, ...deps });
      await assert.rejects(n.start(() => assert.fail('no notice expected')), (err: unknown) => {
        assert.ok(err instanceof NotifierUnavailableError, `${what}: ${String(err)}`);
        assert.match(err.message, new RegExp(`^mqtt mqtt://alice@127\\.0\\.0\\.1:${server.port}: the broker refused the login`), what);
        assert.match(err.hint ?? '', /password/, what);
        return true;
      });
      await n.close();
    }
  });

  test('mqtts with ca=PATH trusts that CA; without it the TLS failure is named', async (t) => {
    const server = await startMosquitto(t, { tls: true });
    const channel = newChannel();
    const a = await started(t, server, channel, { spec: `${server.url}?ca=${server.caFile}` });
    await a.notifier.announce({ peer: peerA, seq: 5, time: 1 });
    await a.inbox.next(peerA, 5, 'own notice over TLS');
    const n = createMqttNotifier(parseMqttSpec(server.url), { channel });
    await assert.rejects(n.start(() => assert.fail('no notice expected')), (err: unknown) => {
      assert.ok(err instanceof NotifierUnavailableError, String(err));
      assert.match(err.message, new RegExp(`^mqtt mqtts://127\\.0\\.0\\.1:${server.port}: TLS failed`));
      return true;
    });
    await n.close();
  });

  test('close() while start() is still connecting rejects start and leaves nothing open', async (t) => {
    const server = await startMosquitto(t);
    const before = process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'Timeout').length;
    const n = createMqttNotifier(parseMqttSpec(server.url), { channel: newChannel() });
    const starting = n.start(() => assert.fail('no notice expected'));
    await n.close();
    await assert.rejects(starting, (err: unknown) => err instanceof NotifierUnavailableError && /closed before the connection was up/.test(err.message));
    const deadline = Date.now() + 10_000;
    let now = before + 1;
    while ((now = process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'Timeout').length) > before) {
      if (Date.now() > deadline) throw new Error(`sockets and timers not back to ${before}: ${process.getActiveResourcesInfo().join(', ')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(now <= before);
  });

  test('an unreadable CA file rejects start with the path', async () => {
    const n = createMqttNotifier(parseMqttSpec('mqtts://127.0.0.1?ca=/nonexistent/ca.pem'), { channel: newChannel() });
    await assert.rejects(n.start(() => undefined), (err: unknown) => err instanceof NotifierConfigError && /\/nonexistent\/ca\.pem/.test(err.message));
    await n.close();
  });
});

describe('parseMqttSpec', () => {
  test('reads scheme, user, host, port and ca, with default ports', () => {
    assert.deepEqual(parseMqttSpec('mqtt://broker.example'), { tls: false, host: 'broker.example', port: 1883 });
    assert.deepEqual(parseMqttSpec('mqtts://broker.example'), { tls: true, host: 'broker.example', port: 8883 });
    assert.deepEqual(parseMqttSpec('mqtts://al%40ice@[::1]:8884/?ca=/etc/ca%20file.pem'),
      { tls: true, host: '::1', port: 8884, username: 'al@ice', caFile: '/etc/ca file.pem' });
  });

  const errors: [string, RegExp][] = [
    ['http://broker.example', /^mqtt: scheme 'http' is not mqtt or mqtts$/],
    ['broker.example:1883', /^mqtt: 'broker\.example:1883' is not a URL like mqtt:/],
    ['mqtt://broker.example/some/path', /^mqtt: 'mqtt:\/\/broker\.example\/some\/path' is not a URL like/],
    ['mqtt://alice:secret@broker.example', /^mqtt: the URL carries a password$/],
    ['mqtt://@broker.example', /^mqtt: the user before '@' is empty$/],
    ['mqtt://al%zzice@broker.example', /^mqtt: the user 'al%zzice' has a bad %-escape$/],
    ['mqtt://:1883', /^mqtt: no host in 'mqtt:\/\/:1883'$/],
    ['mqtt://broker.example:x', /^mqtt: port 'x' is not a number$/],
    ['mqtt://broker.example:0', /^mqtt: port 0 is not between 1 and 65535$/],
    ['mqtt://broker.example:65536', /^mqtt: port 65536 is not between 1 and 65535$/],
    ['mqtts://broker.example?cafile=/x', /^mqtt: unknown option 'cafile' \(the only one is ca=PATH\)$/],
    ['mqtts://broker.example?ca=/x&ca=/y', /^mqtt: ca= is given twice$/],
    ['mqtts://broker.example?ca=ca.pem', /^mqtt: ca path 'ca\.pem' is not absolute$/],
    ['mqtts://broker.example?ca=/x%zz', /^mqtt: the ca '\/x%zz' has a bad %-escape$/],
    ['mqtt://broker.example?ca=/etc/ca.pem', /^mqtt: ca= needs mqtts:\/\//],
  ];
  for (const [spec, message] of errors) {
    test(`rejects ${spec}`, () => {
      assert.throws(() => parseMqttSpec(spec), (err: unknown) => err instanceof NotifierConfigError && message.test(err.message));
    });
  }

  test('redactMqttSpec masks a password someone put in the URL', () => {
    assert.equal(redactMqttSpec('mqtt://alice:secret@broker.example:1883'), 'mqtt://alice:***@broker.example:1883');
    assert.equal(redactMqttSpec('mqtts://alice@broker.example?ca=/x'), 'mqtts://alice@broker.example?ca=/x');
  });
});
