import assert from 'node:assert/strict';
import { stat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { EventBus, StatusServer, statusFilePath } from '../../src/assistant/index.js';
import { OneTimeValues } from '../../src/assistant/status/secrets.js';
import { makeRepo } from '../helpers/repo.js';
import { fixtureSnapshot } from './status-fixture.js';
import { SseReader, bearer, call } from './status-http.js';

async function serve(t: TestContext, opts: { capacity?: number; heartbeatMs?: number } = {}) {
  const dir = await makeRepo(t, { init: 'none' });
  const bus = new EventBus({ capacity: opts.capacity ?? 1000 });
  const statusFile = statusFilePath(join(dir, '.git'));
  const takenAt = Date.now();
  const server = await StatusServer.start({ bus, snapshot: () => Promise.resolve(fixtureSnapshot(dir, takenAt)), statusFile, heartbeatMs: opts.heartbeatMs });
  t.after(() => server.close());
  return { dir, bus, server, statusFile, port: server.port, takenAt };
}

const ENDPOINTS: [string, string][] = [['GET', '/'], ['GET', '/api/status'], ['GET', '/api/events?since=0'], ['POST', '/api/login-once'], ['GET', '/nowhere']];

test('every endpoint refuses a request without the token, or with a wrong one, and serves it with the token', async (t) => {
  const { server, port } = await serve(t);
  const wrong = `${server.token.slice(0, -1)}${server.token.endsWith('A') ? 'B' : 'A'}`;
  for (const [method, path] of ENDPOINTS) {
    const refused: Record<string, string>[] = [{}, bearer(wrong), bearer(''), { Authorization: `Basic ${server.token}` }, { Cookie: `ferry-status-${port}=${server.token}` }];
    for (const headers of refused) {
      const r = await call(port, path, headers, method);
      assert.equal(r.status, 401, `${method} ${path} with ${JSON.stringify(headers)}`);
      assert.doesNotMatch(r.body, /alice|bob/);
    }
    const ok = await call(port, path, bearer(server.token), method);
    assert.equal(ok.status, path === '/nowhere' ? 404 : 200, `${method} ${path} with the token`);
  }
  assert.match(server.token, /^[A-Za-z0-9_-]{43}$/, '32 bytes, base64url');
});

test('a request whose Host is not 127.0.0.1:PORT or localhost:PORT is refused, token or not (DNS rebinding)', async (t) => {
  const { server, port } = await serve(t);
  for (const host of ['evil.example', `evil.example:${port}`, '127.0.0.1', `127.0.0.1:${port + 1}`, `localhost.evil.example:${port}`, `[::1]:${port}`]) {
    for (const [method, path] of [...ENDPOINTS, ['GET', '/login?once=x']]) {
      const r = await call(port, path!, { ...bearer(server.token), Host: host }, method);
      assert.equal(r.status, 403, `${method} ${path} Host ${host}`);
    }
  }
  for (const host of [`127.0.0.1:${port}`, `localhost:${port}`]) {
    assert.equal((await call(port, '/api/status', { ...bearer(server.token), Host: host })).status, 200, host);
  }
});

test('the one-time URL sets a cookie that opens every endpoint, and works only once', async (t) => {
  const { server, port } = await serve(t);
  const minted = await call(port, '/api/login-once', bearer(server.token), 'POST');
  const url = new URL((JSON.parse(minted.body) as { url: string }).url);
  assert.equal(url.host, `127.0.0.1:${port}`);
  const once = url.searchParams.get('once')!;
  assert.match(once, /^[A-Za-z0-9_-]{43}$/);

  const login = await call(port, `/login?once=${once}`);
  assert.equal(login.status, 303);
  assert.equal(login.headers.location, '/');
  const setCookie = login.headers['set-cookie']![0]!;
  assert.match(setCookie, /HttpOnly/);
  assert.match(setCookie, /SameSite=Strict/);
  const cookie = setCookie.split(';')[0]!;
  assert.ok(cookie.startsWith(`ferry-status-${port}=`));
  assert.ok(!cookie.includes(server.token), 'the browser gets a session value, not the token');
  for (const [method, path] of ENDPOINTS) {
    assert.equal((await call(port, path, { Cookie: `other=1; ${cookie}` }, method)).status, path === '/nowhere' ? 404 : 200, `${method} ${path}`);
  }
  const page = await call(port, '/', { Cookie: cookie });
  assert.match(page.body, /<title>ferry assistant<\/title>/);
  assert.match(String(page.headers['content-security-policy']), /default-src 'none'/);

  const again = await call(port, `/login?once=${once}`);
  assert.equal(again.status, 403, 'the second use is refused');
  assert.equal(again.headers['set-cookie'], undefined);
  assert.equal((await call(port, '/login?once=')).status, 403);
  assert.equal((await call(port, '/login')).status, 403);
  assert.equal((await call(port, `/login?once=${server.token}`)).status, 403, 'the token is not a one-time value');
  assert.equal((await call(port, '/api/status', { Cookie: `ferry-status-${port}=${once}` })).status, 401);
});

test('/api/status is the snapshot plus the last event id; /api/events?since=N returns the events after N', async (t) => {
  const { dir, bus, server, port, takenAt } = await serve(t, { capacity: 3 });
  bus.publish({ type: 'started', pid: 1, repository: dir });
  bus.publish({ type: 'changes-seen', paths: 2, scan: true });
  const status = JSON.parse((await call(port, '/api/status', bearer(server.token))).body) as Record<string, unknown>;
  assert.equal(status.lastEvent, 2);
  assert.equal(typeof status.now, 'number');
  const { now: _now, lastEvent: _last, ...snapshot } = status;
  const expected = JSON.parse(JSON.stringify(fixtureSnapshot(dir, takenAt))) as Record<string, unknown>;
  assert.deepEqual(Object.keys(snapshot).sort(), Object.keys(expected).sort());
  assert.deepEqual(snapshot, expected);

  const after1 = JSON.parse((await call(port, '/api/events?since=1', bearer(server.token))).body) as { events: { id: number; type: string }[]; missed: boolean; last: number };
  assert.deepEqual(after1.events.map((e) => [e.id, e.type]), [[2, 'changes-seen']]);
  assert.equal(after1.missed, false);
  assert.equal(after1.last, 2);
  for (let i = 0; i < 3; i++) bus.publish({ type: 'committed', commit: `c${i}`, added: i, deleted: 0, message: 'm' });
  const behind = JSON.parse((await call(port, '/api/events?since=1', bearer(server.token))).body) as typeof after1;
  assert.deepEqual(behind.events.map((e) => e.id), [3, 4, 5]);
  assert.equal(behind.missed, true, 'event 2 is no longer kept');
  assert.equal((await call(port, '/api/events?since=-1', bearer(server.token))).status, 400);
  assert.equal((await call(port, '/api/events?since=x', bearer(server.token))).status, 400);
});

test('SSE delivers the kept events after since, then new ones, in order, with ids, heartbeats, and resumes with Last-Event-ID', async (t) => {
  const { bus, server, port } = await serve(t, { heartbeatMs: 20 });
  bus.publish({ type: 'changes-seen', paths: 1, scan: false });
  bus.publish({ type: 'changes-seen', paths: 2, scan: false });
  const first = await SseReader.open(port, '/api/events?since=1', bearer(server.token));
  t.after(() => first.close());
  assert.equal(first.response.statusCode, 200);
  assert.match(String(first.response.headers['content-type']), /^text\/event-stream/);
  for (let i = 0; i < 50; i++) bus.publish({ type: 'transfer-progress', transfer: 't', bytes: i, size: 49 });
  await first.until(() => first.events().length === 51);
  const events = first.events();
  assert.deepEqual(events.map((e) => e.id), Array.from({ length: 51 }, (_, i) => i + 2));
  assert.deepEqual(events.map((e) => e.body.id), events.map((e) => e.id), 'the id: line is the event id');
  assert.deepEqual(events.slice(1).map((e) => e.body.bytes), Array.from({ length: 50 }, (_, i) => i));
  await first.until((frames) => frames.some((f) => f.comment === 'heartbeat'));
  first.close();

  // A reconnecting EventSource sends the last id it saw; that wins over the URL's since.
  bus.publish({ type: 'pushed', remote: 'cloud-git', seq: 8 });
  const resumed = await SseReader.open(port, '/api/events?since=0', { ...bearer(server.token), 'Last-Event-ID': '50' });
  t.after(() => resumed.close());
  await resumed.until(() => resumed.events().length === 3);
  assert.deepEqual(resumed.events().map((e) => e.id), [51, 52, 53]);
  assert.equal(resumed.events()[2]!.body.type, 'pushed');
});

test('SSE tells a reader that fell behind the kept events that it missed some', async (t) => {
  const { bus, server, port } = await serve(t, { capacity: 2 });
  for (let i = 0; i < 5; i++) bus.publish({ type: 'changes-seen', paths: i, scan: false });
  const reader = await SseReader.open(port, '/api/events?since=1', bearer(server.token));
  t.after(() => reader.close());
  await reader.until(() => reader.events().length === 2);
  assert.ok(reader.frames.some((f) => f.event === 'missed'));
  assert.deepEqual(reader.events().map((e) => e.id), [4, 5]);
});

test('the status file holds the port and token, is mode 600, and is gone after close, which also ends event streams', async (t) => {
  const { server, statusFile, port } = await serve(t);
  const info = JSON.parse(await readFile(statusFile, 'utf8')) as Record<string, unknown>;
  assert.equal(info.port, port);
  assert.equal(info.token, server.token);
  assert.equal(info.pid, process.pid);
  assert.equal((await stat(statusFile)).mode & 0o777, 0o600);
  assert.equal((await stat(join(statusFile, '..'))).mode & 0o077, 0, 'the directory is private too');
  const reader = await SseReader.open(port, '/api/events?since=0', bearer(server.token));
  await server.close();
  await assert.rejects(stat(statusFile), { code: 'ENOENT' });
  await reader.until(() => reader.ended);
  await assert.rejects(call(port, '/api/status', bearer(server.token)), { code: 'ECONNREFUSED' });
});

test('a one-time value is redeemable once, and not after its lifetime', () => {
  let clock = 0;
  const values = new OneTimeValues(1000, () => clock);
  const a = values.issue();
  const b = values.issue();
  assert.notEqual(a, b);
  assert.equal(values.redeem(a), true);
  assert.equal(values.redeem(a), false);
  assert.equal(values.redeem('nonsense'), false);
  clock = 1000;
  assert.equal(values.redeem(b), false, 'expired');
});
