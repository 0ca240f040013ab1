// `ferry relay`: WebSocket pub/sub of sealed notices by channel id (docs/notify-format.md "Relay protocol").
// The relay reads only a frame's magic, length and channel (notice.ts frameChannel): it can neither open nor
// forge a notice. It keeps the last few frames per channel for late joiners, in memory only, and bounds
// everything a client can make it hold (limits.ts). HTTP beside it: GET /healthz and Prometheus GET /metrics.
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { frameChannel } from '../notify/notice.js';
import { FerryError, errorMessage, systemErrorCode } from '../util/index.js';
import { DEFAULT_LIMITS, TokenBucket, maxTextBytes } from './limits.js';
import type { RelayLimits } from './limits.js';
import { RelayMetrics } from './metrics.js';
import type { DropReason } from './metrics.js';
import { Retention } from './retention.js';

/** The only WebSocket path; a later protocol version gets its own. */
export const RELAY_PATH = '/v1';
const CHANNEL_ID = /^[0-9a-f]{32}$/;
const SWEEP_MS = 60_000;
const MEMORY_CHECK_MS = 1_000;
const CLOSE_GRACE_MS = 2_000;

export interface RelayOptions {
  readonly host: string;
  /** 0 for an OS-assigned port (the listening log line names it). */
  readonly port: number;
  /** PEM certificate chain and key: the relay then speaks wss:// and https://. */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
  readonly limits?: Partial<RelayLimits>;
  /** ms since the epoch (retention expiry, rate buckets); tests pass a fake clock. */
  readonly now?: () => number;
  /** Structured log events (never notice contents); the CLI writes them as JSON lines. */
  readonly log?: (event: Record<string, unknown>) => void;
}

export interface Relay {
  readonly host: string;
  readonly port: number;
  /** ws://HOST:PORT/v1 or wss://… */
  readonly url: string;
  readonly limits: RelayLimits;
  /** The Prometheus text /metrics serves. */
  metrics(): string;
  /** Stops accepting, closes every client with 1001 (going away), releases every timer. Idempotent. */
  close(): Promise<void>;
}

interface Connection {
  readonly ws: WebSocket;
  readonly remote: string;
  readonly channels: Set<string>;
  readonly bucket: TokenBucket;
  readonly abuse: TokenBucket;
  alive: boolean;
}

export async function startRelay(opts: RelayOptions): Promise<Relay> {
  const limits: RelayLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const now = opts.now ?? Date.now;
  const log = opts.log ?? (() => undefined);
  const metrics = new RelayMetrics();
  const retention = new Retention(limits.retainedChannels, limits.retainedPerChannel, limits.retainMs, now);
  const connections = new Set<Connection>();
  const subscribers = new Map<string, Set<Connection>>();
  let rss = process.memoryUsage.rss();
  let closing: Promise<void> | undefined;

  const http = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/healthz') return reply(res, 200, 'ok\n');
    if (req.method === 'GET' && path === '/metrics') return reply(res, 200, renderMetrics(), 'text/plain; version=0.0.4');
    reply(res, 404, 'not found\n');
  };
  const server: Server = opts.tls ? createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key }, http) : createHttpServer(http);
  // Room above the WebSocket limit for health checks and the 503 answers themselves.
  server.maxConnections = limits.maxConnections + 64;
  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    maxPayload: Math.max(maxTextBytes(limits), limits.maxFrameBytes * 4),
  });

  const renderMetrics = () => metrics.render({
    connections: connections.size,
    channels: subscribers.size,
    retainedChannels: retention.channels,
    retainedFrames: retention.size,
    rssBytes: rss,
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined); // a client that vanished mid-handshake; nothing to report
    const path = (req.url ?? '/').split('?')[0];
    if (path !== RELAY_PATH) return refuse(socket, 404, 'Not Found');
    if (closing) return refuse(socket, 503, 'Service Unavailable');
    if (connections.size >= limits.maxConnections) return overloaded(socket, 'connections');
    if (rss > limits.maxMemoryBytes) return overloaded(socket, 'memory');
    wss.handleUpgrade(req, socket, head, (ws) => accept(ws, req));
  });

  const overloaded = (socket: Duplex, reason: DropReason) => {
    metrics.drop(reason);
    refuse(socket, 503, 'Service Unavailable');
  };

  const accept = (ws: WebSocket, req: IncomingMessage) => {
    const sock = req.socket;
    const conn: Connection = {
      ws,
      remote: `${sock.remoteAddress ?? '?'}:${sock.remotePort ?? '?'}`,
      channels: new Set(),
      bucket: new TokenBucket(limits.ratePerSecond, limits.burst, now),
      abuse: new TokenBucket(limits.ratePerSecond, limits.abuseAllowance, now),
      alive: true,
    };
    connections.add(conn);
    metrics.connectionsTotal++;
    ws.on('message', (data: Buffer, isBinary: boolean) => onMessage(conn, data, isBinary));
    ws.on('pong', () => { conn.alive = true; });
    ws.on('error', (err: Error & { code?: string }) => {
      // ws closes the connection itself (1009 for a message over maxPayload, 1002 for a protocol error).
      if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') metrics.drop('oversized');
      log({ level: 'info', msg: 'connection error', remote: conn.remote, error: err.code ?? err.message });
    });
    ws.on('close', () => forget(conn));
  };

  const onMessage = (conn: Connection, data: Buffer, isBinary: boolean) => {
    conn.alive = true;
    if (!conn.bucket.take()) {
      metrics.drop('rate');
      if (!conn.abuse.take()) policyClose(conn, 1008, 'rate', `more than ${limits.ratePerSecond} messages a second, sustained`);
      return;
    }
    if (isBinary) publish(conn, data);
    else subscribe(conn, data);
  };

  const publish = (conn: Connection, frame: Buffer) => {
    if (frame.length > limits.maxFrameBytes) {
      metrics.drop('oversized');
      return policyClose(conn, 1009, 'oversized', `a frame of ${frame.length} bytes (at most ${limits.maxFrameBytes})`);
    }
    const channel = frameChannel(frame);
    if (channel === undefined) return metrics.drop('malformed');
    metrics.noticesIn++;
    retention.keep(channel, frame);
    for (const other of subscribers.get(channel) ?? []) if (other !== conn) send(other, frame);
  };

  const subscribe = (conn: Connection, data: Buffer) => {
    let channels: string[];
    try {
      const msg = JSON.parse(data.toString('utf8')) as { sub?: unknown };
      if (!Array.isArray(msg.sub) || !msg.sub.every((c): c is string => typeof c === 'string' && CHANNEL_ID.test(c))) throw new Error('shape');
      channels = [...new Set(msg.sub)];
    } catch {
      metrics.drop('json');
      return policyClose(conn, 1008, 'json', 'expected {"sub":["<32 hex digits>", ...]}');
    }
    const total = new Set([...conn.channels, ...channels]).size;
    if (total > limits.channelsPerConnection) {
      metrics.drop('channels');
      return policyClose(conn, 1008, 'channels', `${total} channels on one connection (at most ${limits.channelsPerConnection})`);
    }
    for (const channel of channels) {
      conn.channels.add(channel);
      let set = subscribers.get(channel);
      if (!set) subscribers.set(channel, set = new Set());
      set.add(conn);
    }
    conn.ws.send(JSON.stringify({ subscribed: channels }));
    for (const channel of channels) for (const frame of retention.frames(channel)) send(conn, frame);
  };

  /** Sends or, for a subscriber that stopped reading, drops the subscriber: a backlog is never buffered. */
  const send = (conn: Connection, frame: Buffer) => {
    if (conn.ws.readyState !== WebSocket.OPEN) return;
    if (conn.ws.bufferedAmount > limits.slowConsumerBytes) {
      metrics.drop('slow');
      log({ level: 'info', msg: 'dropped a slow consumer', remote: conn.remote, buffered: conn.ws.bufferedAmount });
      conn.ws.terminate();
      return;
    }
    conn.ws.send(frame, { binary: true });
    metrics.noticesOut++;
  };

  const policyClose = (conn: Connection, code: 1008 | 1009, reason: DropReason, message: string) => {
    if (conn.ws.readyState !== WebSocket.OPEN) return;
    log({ level: 'info', msg: 'closed a connection', remote: conn.remote, reason, code });
    conn.ws.send(JSON.stringify({ error: message }));
    conn.ws.close(code, reason);
    // A client that never completes the closing handshake is cut off.
    setTimeout(() => conn.ws.terminate(), CLOSE_GRACE_MS).unref();
  };

  const forget = (conn: Connection) => {
    if (!connections.delete(conn)) return;
    for (const channel of conn.channels) {
      const set = subscribers.get(channel);
      set?.delete(conn);
      if (set?.size === 0) subscribers.delete(channel);
    }
  };

  const pinger = setInterval(() => {
    for (const conn of connections) {
      if (!conn.alive) {
        metrics.drop('timeout');
        conn.ws.terminate();
        continue;
      }
      conn.alive = false;
      conn.ws.ping();
    }
  }, limits.pingIntervalMs);
  const sweeper = setInterval(() => retention.sweep(), SWEEP_MS);
  const memory = setInterval(() => { rss = process.memoryUsage.rss(); }, MEMORY_CHECK_MS);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((err: unknown) => {
    clearInterval(pinger);
    clearInterval(sweeper);
    clearInterval(memory);
    throw listenError(err, opts.host, opts.port);
  });
  server.on('error', (err) => log({ level: 'error', msg: 'server error', error: err.message }));
  const { port } = server.address() as AddressInfo;
  const scheme = opts.tls ? 'wss' : 'ws';
  const urlHost = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  const url = `${scheme}://${urlHost}:${port}${RELAY_PATH}`;
  log({ level: 'info', msg: 'listening', address: opts.host, port, url, tls: opts.tls !== undefined });
  const files = openFileLimit();
  if (files !== undefined && files < limits.maxConnections) {
    log({ level: 'warn', msg: 'the open-file limit is below max connections; raise it with ulimit -n', open_files: files, max_connections: limits.maxConnections });
  }

  const shutdown = async () => {
    clearInterval(pinger);
    clearInterval(sweeper);
    clearInterval(memory);
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    const open = [...connections];
    const gone = Promise.all(open.map((c) => new Promise<void>((resolve) => {
      if (c.ws.readyState === WebSocket.CLOSED) return resolve();
      c.ws.once('close', () => resolve());
    })));
    for (const c of open) c.ws.close(1001, 'relay shutting down');
    const grace = setTimeout(() => { for (const c of open) c.ws.terminate(); }, CLOSE_GRACE_MS);
    await gone;
    clearTimeout(grace);
    server.closeAllConnections();
    await stopped;
    log({ level: 'info', msg: 'stopped', notices_in: metrics.noticesIn, notices_out: metrics.noticesOut });
  };

  return {
    host: opts.host,
    port,
    url,
    limits,
    metrics: renderMetrics,
    close: () => (closing ??= shutdown()),
  };
}

/** The soft limit on open files (each connection is one), from /proc on Linux; undefined elsewhere. */
function openFileLimit(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined; // not Linux: nothing to check
  }
}

function listenError(err: unknown, host: string, port: number): FerryError {
  const code = systemErrorCode(err);
  const what = code === 'EADDRINUSE' ? 'the address is in use' : code === 'EACCES' ? 'permission denied' : code === 'EADDRNOTAVAIL' ? 'no such local address' : errorMessage(err);
  return new FerryError(`cannot listen on ${host}:${port}: ${what}`, {
    cause: err, data: { host, port, errno: code },
    hint: 'choose another --listen address or port (ports below 1024 need privileges; port 0 picks a free one)',
  });
}

function reply(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`, () => socket.destroy());
}
