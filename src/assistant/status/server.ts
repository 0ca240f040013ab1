// The assistant's status server (ISSUE 15 "Status", STYLE 12): loopback only, on a port the OS picks,
// serving the snapshot, the numbered event stream (JSON or SSE) and the live page that reads only those two.
// Every request must name this server's Host and carry the token (or the session cookie a one-time login
// URL sets), because the answers name files and peers. The port and token go in a mode-600 file that
// `ferry status` reads.
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { errorMessage } from '../../util/index.js';
import type { EventBus } from '../events.js';
import { streamEvents } from './event-stream.js';
import { statusPage } from './page.js';
import { authorised, cookieName, hostAllowed } from './request-guard.js';
import { OneTimeValues, newSecret } from './secrets.js';
import type { StatusResponse, StatusSnapshot } from './snapshot.js';
import { removeStatusFile, writeStatusFile } from './status-file.js';

export interface StatusServerOptions {
  readonly bus: EventBus;
  /** The daemon's state now; called per `/api/status` request. */
  readonly snapshot: () => Promise<StatusSnapshot>;
  /** Where to record the port and token (statusFilePath(gitDir)). */
  readonly statusFile: string;
  /** Interval of SSE heartbeat comments (default 15 s). */
  readonly heartbeatMs?: number;
  /** How long a one-time login value stays redeemable (default 10 minutes). */
  readonly loginLifetimeMs?: number;
}

const JSON_HEADERS = { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' };

export class StatusServer {
  readonly #opts: StatusServerOptions;
  readonly #server: Server;
  readonly #session = newSecret();
  readonly #logins: OneTimeValues;
  readonly #streams = new Set<{ stop(): void }>();
  #closed: Promise<void> | undefined;
  /** The bearer token every API request must carry. */
  readonly token = newSecret();
  port = 0;

  private constructor(opts: StatusServerOptions) {
    this.#opts = opts;
    this.#logins = new OneTimeValues(opts.loginLifetimeMs ?? 10 * 60_000);
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) send(res, 500, JSON_HEADERS, JSON.stringify({ error: errorMessage(err) }));
        else res.destroy();
      });
    });
  }

  /** Listens on 127.0.0.1 (a port the OS picks) and records the port and token in the status file. */
  static async start(opts: StatusServerOptions): Promise<StatusServer> {
    const s = new StatusServer(opts);
    await new Promise<void>((resolve, reject) => {
      s.#server.once('error', reject);
      s.#server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = s.#server.address();
    if (address === null || typeof address === 'string') throw new Error('status server: no TCP address');
    s.port = address.port;
    try {
      await writeStatusFile(opts.statusFile, { pid: process.pid, port: s.port, token: s.token, started: Date.now() });
    } catch (err) {
      s.#server.close();
      throw err;
    }
    return s;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/`;
  }

  /** A URL that logs a browser in once (sets the session cookie and redirects to the page). */
  loginUrl(): string {
    return `${this.url}login?once=${this.#logins.issue()}`;
  }

  /** Ends every event stream, stops listening and removes the status file. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      for (const stream of this.#streams) stream.stop();
      await removeStatusFile(this.#opts.statusFile);
      await new Promise<void>((resolve) => {
        this.#server.close(() => resolve());
        this.#server.closeAllConnections();
      });
    })();
    return this.#closed;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!hostAllowed(req, this.port)) {
      send(res, 403, { 'Content-Type': 'text/plain; charset=utf-8' }, 'forbidden: this server answers only to 127.0.0.1 or localhost with its port\n');
      return;
    }
    const url = new URL(req.url ?? '/', this.url);
    if (url.pathname === '/login') {
      this.#login(url, res);
      return;
    }
    if (!authorised(req, { token: this.token, session: this.#session, cookie: cookieName(this.port) })) {
      send(res, 401, { 'Content-Type': 'text/plain; charset=utf-8', 'WWW-Authenticate': 'Bearer realm="ferry assistant"' },
        "unauthorised: use the token in .git/ferry/assistant/status.json, or open the URL 'ferry status --open' prints\n");
      return;
    }
    const route = `${req.method ?? 'GET'} ${url.pathname}`;
    switch (route) {
      case 'GET /':
        this.#page(res);
        return;
      case 'GET /api/status':
        await this.#status(res);
        return;
      case 'GET /api/events':
        this.#events(req, url, res);
        return;
      case 'POST /api/login-once':
        req.resume();
        send(res, 200, JSON_HEADERS, JSON.stringify({ url: this.loginUrl() }));
        return;
      default: {
        const known = ['/', '/api/status', '/api/events', '/api/login-once'].includes(url.pathname);
        send(res, known ? 405 : 404, { 'Content-Type': 'text/plain; charset=utf-8' }, known ? 'method not allowed\n' : 'not found\n');
      }
    }
  }

  #login(url: URL, res: ServerResponse): void {
    const once = url.searchParams.get('once') ?? '';
    if (!this.#logins.redeem(once)) {
      send(res, 403, { 'Content-Type': 'text/plain; charset=utf-8' }, "this login link was used already or has expired: run 'ferry status --open' for a new one\n");
      return;
    }
    send(res, 303, {
      Location: '/',
      'Set-Cookie': `${cookieName(this.port)}=${this.#session}; Path=/; HttpOnly; SameSite=Strict`,
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
    }, '');
  }

  #page(res: ServerResponse): void {
    const nonce = randomBytes(16).toString('base64');
    send(res, 200, {
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'X-Frame-Options': 'DENY',
      'Content-Security-Policy': `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'`,
    }, statusPage(nonce));
  }

  async #status(res: ServerResponse): Promise<void> {
    // The event id first: an event published while the snapshot is taken is then replayed, never lost.
    const lastEvent = this.#opts.bus.last;
    const snapshot = await this.#opts.snapshot();
    const body: StatusResponse = { ...snapshot, lastEvent, now: Date.now() };
    send(res, 200, JSON_HEADERS, JSON.stringify(body));
  }

  #events(req: IncomingMessage, url: URL, res: ServerResponse): void {
    const resumeAt = req.headers['last-event-id'];
    const since = position(typeof resumeAt === 'string' && resumeAt !== '' ? resumeAt : url.searchParams.get('since'));
    if (since === undefined) {
      send(res, 400, { 'Content-Type': 'text/plain; charset=utf-8' }, 'since (or Last-Event-ID) must be a whole number ≥ 0\n');
      return;
    }
    if ((req.headers.accept ?? '').includes('text/event-stream')) {
      const stream = streamEvents(this.#opts.bus, since, res, { heartbeatMs: this.#opts.heartbeatMs ?? 15_000 });
      this.#streams.add(stream);
      res.on('close', () => this.#streams.delete(stream));
      return;
    }
    const { events, missed } = this.#opts.bus.since(since);
    send(res, 200, JSON_HEADERS, JSON.stringify({ events, missed, last: this.#opts.bus.last }));
  }
}

function position(text: string | null): number | undefined {
  if (text === null) return 0;
  if (!/^\d{1,15}$/.test(text)) return undefined;
  return Number(text);
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  res.writeHead(status, { ...headers, 'Content-Length': String(Buffer.byteLength(body)) });
  res.end(body);
}
