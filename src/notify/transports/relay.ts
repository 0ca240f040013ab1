// The `relay` transport: a WebSocket client of `ferry relay` (docs/notify-format.md "Relay protocol"). It
// subscribes to the channel, opens every binary frame it is sent (the relay's retained frames first, so a
// late joiner catches up), and publishes sealed frames. After a drop it reconnects with exponential backoff
// and full jitter, subscribes again and so catches up on what it missed; an announce made meanwhile is kept
// (the newest only) and sent once subscribed; the newest announce is also sent again after each reconnect.
import { WebSocket } from 'ws';
import { MAX_FRAME_BYTES } from '../notice.js';
import type { ChangeNotice } from '../notice.js';
import { NotifierClosedError, NotifierConfigError, NotifierUnavailableError } from '../notifier.js';
import type { Notifier, NotifierDeps, NotifierEvents } from '../notifier.js';

export interface RelaySettings {
  /** ws://HOST:PORT/v1 or wss://HOST:PORT/v1 */
  readonly url: string;
  /** HOST:PORT, for messages. */
  readonly address: string;
}

const BACKOFF_START_MS = 250;
const BACKOFF_CAP_MS = 30_000;
/** The relay pings every 30 s; this long without any traffic means the connection is dead. */
const IDLE_MS = 75_000;
const CONNECT_TIMEOUT_MS = 10_000;
const CLOSE_GRACE_MS = 1_000;

/** `ws://HOST[:PORT][/v1]` or `wss://…`; the port defaults to 80 / 443 (a relay behind a reverse proxy). */
export function parseRelaySpec(value: string): RelaySettings {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    // URL itself rejects a missing host and a port that is not a number up to 65535.
    throw new NotifierConfigError(`relay: '${value}' is not a URL such as ws://HOST:PORT (check the host and port)`);
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new NotifierConfigError(`relay: scheme '${url.protocol.slice(0, -1)}' is not ws or wss`);
  if (url.username !== '' || url.password !== '') throw new NotifierConfigError('relay: a relay URL carries no user or password (the notices are sealed; the relay needs none)');
  if (url.pathname !== '/' && url.pathname !== '/v1' && url.pathname !== '') throw new NotifierConfigError(`relay: path '${url.pathname}' is not /v1`);
  if (url.search !== '' || url.hash !== '') throw new NotifierConfigError(`relay: '${value}' has a query or fragment`);
  const port = url.port === '' ? (url.protocol === 'wss:' ? 443 : 80) : Number(url.port);
  const host = url.hostname;
  return { url: `${url.protocol}//${host}:${port}/v1`, address: `${host}:${port}` };
}

export function createRelayNotifier(settings: RelaySettings, deps: NotifierDeps): Notifier {
  const description = `relay ${settings.url}`;
  const channel = deps.channel;
  let onNotice: ((notice: ChangeNotice) => void) | undefined;
  let events: NotifierEvents = {};
  let ws: WebSocket | undefined;
  let subscribed = false;
  let closed = false;
  let attempt = 0;
  let pending: { frame: Buffer; notice: ChangeNotice } | undefined;
  /** This notifier's newest announce, sent again after every reconnect (see flush). */
  let newest: { frame: Buffer; notice: ChangeNotice } | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let idleTimer: NodeJS.Timeout | undefined;

  const deliver = (frame: Buffer) => {
    if (closed || !onNotice) return;
    if (frame.length > MAX_FRAME_BYTES) return events.dropped?.(`a frame of ${frame.length} bytes (at most ${MAX_FRAME_BYTES})`);
    let notice: ChangeNotice;
    try {
      notice = channel.open(frame);
    } catch (err) {
      return events.dropped?.(err instanceof Error ? err.message : String(err));
    }
    onNotice(notice);
  };

  const touch = () => {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => ws?.terminate(), IDLE_MS);
  };

  /** One connection attempt: resolves once subscribed, rejects with why it failed. */
  const connect = () => new Promise<void>((resolve, reject) => {
    const socket = new WebSocket(settings.url, { handshakeTimeout: CONNECT_TIMEOUT_MS, perMessageDeflate: false, maxPayload: 64 * 1024 });
    ws = socket;
    let settled = false;
    const fail = (reason: string) => {
      if (settled) return;
      settled = true;
      reject(new Error(reason));
    };
    const timer = setTimeout(() => {
      fail(`no subscription within ${CONNECT_TIMEOUT_MS / 1000} s`);
      socket.terminate();
    }, CONNECT_TIMEOUT_MS);
    socket.on('open', () => {
      touch();
      socket.send(JSON.stringify({ sub: [channel.id] }));
    });
    socket.on('ping', touch);
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      touch();
      if (isBinary) return deliver(data);
      let msg: { subscribed?: unknown; error?: unknown };
      try {
        msg = JSON.parse(data.toString('utf8')) as typeof msg;
      } catch {
        return events.dropped?.('a text message from the relay that is not JSON');
      }
      if (typeof msg.error === 'string') return fail(`the relay refused: ${msg.error}`);
      if (!Array.isArray(msg.subscribed) || settled) return;
      settled = true;
      clearTimeout(timer);
      subscribed = true;
      attempt = 0;
      events.connection?.(true);
      // A send just before a drop may have been lost, and a restarted relay has forgotten what it kept:
      // publishing the newest announce again costs one duplicate, which the relay and receivers dedupe.
      pending ??= newest;
      flush();
      resolve();
    });
    socket.on('error', (err) => fail(err.message));
    socket.on('close', (code) => {
      clearTimeout(timer);
      clearTimeout(idleTimer);
      fail(`connection closed (${code})`);
      if (ws !== socket) return;
      ws = undefined;
      const wasUp = subscribed;
      subscribed = false;
      if (closed) return;
      if (wasUp) events.connection?.(false);
      if (onNotice) scheduleReconnect();
    });
  });

  const scheduleReconnect = () => {
    if (closed || retryTimer) return;
    // Full jitter (a uniform delay up to the exponential bound), so clients cut off together do not return together.
    const bound = Math.min(BACKOFF_CAP_MS, BACKOFF_START_MS * 2 ** attempt);
    attempt = Math.min(attempt + 1, 30);
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      connect().catch(() => undefined); // its close schedules the next attempt
    }, Math.random() * bound);
  };

  /** Sends the kept announce, if any; the relay does not echo to the sender, so this notifier sees its own here. */
  const flush = () => {
    const p = pending;
    if (!p || !subscribed || !ws) return;
    pending = undefined;
    ws.send(p.frame, { binary: true }, (err) => {
      if (!err) {
        if (!closed) onNotice?.(p.notice);
        return;
      }
      // The connection went down under us: keep it for the next one unless something newer came.
      pending ??= p;
    });
  };

  const shutdown = async () => {
    closed = true;
    clearTimeout(retryTimer);
    clearTimeout(idleTimer);
    retryTimer = undefined;
    const socket = ws;
    ws = undefined;
    pending = undefined;
    if (!socket || socket.readyState === WebSocket.CLOSED) return;
    const gone = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    if (socket.readyState === WebSocket.OPEN) {
      socket.close(1000);
      const grace = setTimeout(() => socket.terminate(), CLOSE_GRACE_MS);
      await gone;
      clearTimeout(grace);
    } else {
      socket.terminate();
      await gone;
    }
  };

  let closing: Promise<void> | undefined;
  let started = false;
  return {
    description,
    capabilities: { catchUp: true, prompt: true },
    async start(handler, ev) {
      if (started) throw new Error(`${description}: start called twice`);
      started = true;
      events = ev ?? {};
      onNotice = handler;
      try {
        await connect();
      } catch (err) {
        onNotice = undefined;
        await shutdown();
        throw new NotifierUnavailableError(description, err instanceof Error ? err.message : String(err),
          `check that 'ferry relay' runs on ${settings.address} and that this machine can reach it`);
      }
    },
    announce(notice) {
      try {
        if (closed) throw new NotifierClosedError(description);
        const frame = channel.seal(notice); // throws NoticeError for a notice that cannot be sealed
        // Handed to the socket now, or kept (superseding an older one) and sent once subscribed again.
        pending = newest = { frame, notice };
        flush();
        return Promise.resolve();
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
    },
    close: () => (closing ??= shutdown()),
  };
}
