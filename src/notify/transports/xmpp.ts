// The xmpp notifier (docs/notify.md "XMPP"): every device of a repository logs in to one account with its own
// random resource and announces with a <message type='headline'> whose body is the sealed frame in base64.
//
// Addressing, measured against prosody 0.12.3: a headline a client sends to its own bare JID is dropped (the
// router strips a self-addressed 'to', and mod_message then delivers a headline only when 'to' equals the bare
// JID), so notices go to each full JID of the account that announced itself as a listener of this channel:
// our initial presence carries <listen channel=…/>, and RFC 6121 §4.2.2 has the server send it to the account's
// other resources and theirs to us. Headlines are never stored offline or archived (RFC 6121 §5.2.2), so the
// server offers no catch-up; a device that comes online gets the newest notice of each device already online
// (#welcome), and poll catches up the rest. No roster request, no subscription: our presence only ever reaches
// our own resources.
import { randomBytes } from 'node:crypto';
import { client, xml } from '@xmpp/client';
import type { Element, XmppClient } from '@xmpp/client';
import { MAX_FRAME_BYTES } from '../notice.js';
import type { ChangeNotice } from '../notice.js';
import { NotifierClosedError, NotifierUnavailableError } from '../notifier.js';
import type { Notifier, NotifierDeps, NotifierEvents } from '../notifier.js';
import type { XmppSettings } from './xmpp-spec.js';

export { parseXmppSpec } from './xmpp-spec.js';
export type { XmppSettings } from './xmpp-spec.js';

const NS = 'urn:x-ferry:notify:1';
const NS_PING = 'urn:xmpp:ping';
const NS_HINTS = 'urn:xmpp:hints';
const CONNECT_TIMEOUT_MS = 15_000;
const PING_TIMEOUT_MS = 10_000;
const KEEPALIVE_MS = 60_000;
const BACKOFF_START_MS = 250;
const BACKOFF_CAP_MS = 30_000;
const MAX_BODY_CHARS = Math.ceil(MAX_FRAME_BYTES / 3) * 4;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** One live login: the client, and the full JIDs of our account that listen on this channel (us included). */
interface Session {
  readonly xmpp: XmppClient;
  readonly self: string;
  readonly listeners: Set<string>;
  ended: boolean;
  keepalive?: NodeJS.Timeout;
}

export function createXmppNotifier(settings: XmppSettings, deps: NotifierDeps): Notifier {
  return new XmppNotifier(settings, deps);
}

class XmppNotifier implements Notifier {
  readonly description: string;
  readonly capabilities = { catchUp: false, prompt: true } as const;
  readonly #settings: XmppSettings;
  readonly #deps: NotifierDeps;
  #started = false;
  #closed = false;
  #session: Session | undefined;
  /** Gives up the connection attempt under way (close() during start or a reconnect). */
  #abort: (() => void) | undefined;
  #pending: ChangeNotice | undefined;
  /** The newest notice this notifier announced: a device that comes online gets it from us (#welcome). */
  #last: ChangeNotice | undefined;
  #attempt = 0;
  #retry: NodeJS.Timeout | undefined;
  #onNotice: (notice: ChangeNotice) => void = () => {};
  #events: NotifierEvents = {};

  constructor(settings: XmppSettings, deps: NotifierDeps) {
    this.#settings = settings;
    this.#deps = deps;
    this.description = `xmpp ${settings.jid} via ${settings.service}`;
  }

  async start(onNotice: (notice: ChangeNotice) => void, events: NotifierEvents = {}): Promise<void> {
    if (this.#started) throw new Error(`${this.description}: start() called twice`);
    this.#started = true;
    this.#onNotice = onNotice;
    this.#events = events;
    if (this.#deps.password === undefined) throw new NotifierUnavailableError(this.description, 'no password was given', 'set the account password in the environment or a file (never on the command line)');
    try {
      this.#session = await this.#connect();
    } catch (err) {
      throw this.#unavailable(err);
    }
    this.#events.connection?.(true);
  }

  async announce(notice: ChangeNotice): Promise<void> {
    if (this.#closed) throw new NotifierClosedError(this.description);
    const frame = this.#deps.channel.seal(notice);
    this.#last = notice;
    const session = this.#session;
    if (session === undefined) {
      this.#pending = notice;
      return;
    }
    try {
      await this.#publish(session, frame);
    } catch {
      // The connection went down mid-send: keep it for the reconnect, unless a newer one came meanwhile.
      this.#pending ??= notice;
      this.#lost(session);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#retry);
    this.#pending = undefined;
    const session = this.#session;
    this.#session = undefined;
    this.#abort?.();
    if (session) await this.#hangUp(session);
  }

  /** Logs in, announces this resource as a listener and waits until the server has taken that in. */
  async #connect(): Promise<Session> {
    const settings = this.#settings;
    const resource = `${settings.resourcePrefix}-${randomBytes(6).toString('hex')}`;
    if (settings.service.startsWith('ws') && typeof (globalThis as { WebSocket?: unknown }).WebSocket !== 'function') {
      throw new Unusable('a ws:// or wss:// service needs a Node.js with WebSocket (22 or later)', 'use xmpp://HOST:PORT or xmpps://HOST:PORT');
    }
    const xmpp = client({
      service: settings.service,
      domain: settings.domain,
      username: settings.username,
      password: this.#deps.password ?? '',
      resource,
      credentials: async (authenticate, mechanisms, _fast, entity) => {
        if (settings.tls === 'require' && !entity.isSecure()) throw new Unusable('the server offers no TLS and tls=require', 'use xmpps://, a server with STARTTLS, or tls=off on a network you trust');
        // Never PLAIN in the clear: SCRAM when offered (RFC 6120 §6.3.8 lets the client choose).
        const mechanism = mechanisms.find((m) => m !== 'PLAIN' && m !== 'ANONYMOUS') ?? (entity.isSecure() ? mechanisms.find((m) => m === 'PLAIN') : undefined);
        if (mechanism === undefined) throw new Unusable(`no usable SASL mechanism among ${mechanisms.join(', ')}`, 'PLAIN is used only over TLS');
        await authenticate({ username: settings.username, password: this.#deps.password ?? '' }, mechanism);
      },
    });
    xmpp.reconnect.stop(); // ours has backoff with jitter (#scheduleReconnect)
    xmpp.on('error', () => {}); // surfaced through start()'s rejection or a disconnect; EventEmitter throws without a listener
    const session: Session = { xmpp, self: `${settings.jid}/${resource}`, listeners: new Set(), ended: false };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Unusable(`no answer within ${CONNECT_TIMEOUT_MS / 1000} s`, 'is the service address right?')), CONNECT_TIMEOUT_MS);
      this.#abort = () => reject(new NotifierClosedError(this.description));
    });
    try {
      await Promise.race([(async () => {
        await xmpp.start();
        xmpp.on('stanza', (stanza: Element) => this.#receive(session, stanza));
        // Priority 0: equal and non-negative on every device (RFC 6121 §4.7.2.3, §8.5.2).
        await xmpp.send(xml('presence', null, xml('priority', null, '0'), xml('listen', { xmlns: NS, channel: this.#deps.channel.id })));
        await ping(xmpp);
      })(), timeout]);
    } catch (err) {
      end(session);
      throw err;
    } finally {
      clearTimeout(timer);
      this.#abort = undefined;
    }
    if (this.#closed) {
      end(session);
      throw new NotifierClosedError(this.description);
    }
    session.listeners.add(session.self);
    xmpp.on('disconnect', () => this.#lost(session));
    xmpp.on('offline', () => this.#lost(session));
    this.#keepAlive(session);
    return session;
  }

  /** Sends the frame to every listening resource of the account, ours included. */
  async #publish(session: Session, frame: Buffer): Promise<void> {
    // A device that came online just now: its presence reached our socket before the answer to this ping.
    await ping(session.xmpp);
    await Promise.all([...session.listeners].map((to) => session.xmpp.send(message(to, this.#deps.channel.id, frame))));
  }

  /**
   * A device came online on this channel (or back, after an outage that may have cost it our last notice):
   * it gets our newest notice, so every device that stays online serves as its own catch-up. Not at our own
   * connect: the pending notice, if any, goes to everyone then.
   */
  #welcome(session: Session, to: string): void {
    if (this.#last === undefined || this.#session !== session || to === session.self) return;
    const frame = this.#deps.channel.seal(this.#last);
    session.xmpp.send(message(to, this.#deps.channel.id, frame)).catch(() => undefined); // a drop is handled by #lost
  }

  #receive(session: Session, stanza: Element): void {
    if (session.ended) return;
    const from = stanza.attrs.from ?? '';
    const ours = bareOf(from) === this.#settings.jid.toLowerCase();
    if (stanza.name === 'presence') {
      if (!ours) return;
      const listening = stanza.attrs.type === undefined && stanza.getChild('listen', NS)?.attrs.channel === this.#deps.channel.id;
      if (listening && !session.listeners.has(from)) {
        session.listeners.add(from);
        this.#welcome(session, from);
      } else if (!listening && from !== session.self) session.listeners.delete(from);
      return;
    }
    if (stanza.name !== 'message' || stanza.attrs.type !== 'headline') return;
    const notice = stanza.getChild('notice', NS);
    if (!ours) return this.#drop(`a message from ${from || 'the server'}, not from ${this.#settings.jid}`);
    if (notice === undefined) return this.#drop('a headline without a ferry notice');
    if (notice.attrs.channel !== this.#deps.channel.id) return; // another repository sharing the account
    const body = stanza.getChildText('body') ?? '';
    if (body.length > MAX_BODY_CHARS) return this.#drop(`a body of ${body.length} characters (at most ${MAX_BODY_CHARS})`);
    if (!BASE64.test(body) || body.length % 4 !== 0) return this.#drop('a body that is not base64');
    let opened: ChangeNotice;
    try {
      opened = this.#deps.channel.open(Buffer.from(body, 'base64'));
    } catch (err) {
      return this.#drop(err instanceof Error ? err.message : String(err));
    }
    if (!this.#closed) this.#onNotice(opened);
  }

  #drop(reason: string): void {
    if (!this.#closed) this.#events.dropped?.(reason);
  }

  /** A ping now and then, so a connection that died without a FIN is noticed. */
  #keepAlive(session: Session): void {
    session.keepalive = setTimeout(() => {
      ping(session.xmpp).then(() => this.#keepAlive(session), () => this.#lost(session));
    }, KEEPALIVE_MS);
  }

  #lost(session: Session): void {
    if (this.#session !== session) return;
    this.#session = undefined;
    end(session);
    if (this.#closed) return;
    this.#events.connection?.(false);
    this.#scheduleReconnect();
  }

  /** Exponential backoff with full jitter: a random wait up to 250 ms, 500 ms, … capped at 30 s. */
  #scheduleReconnect(): void {
    const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_START_MS * 2 ** this.#attempt);
    this.#attempt += 1;
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      this.#connect().then((session) => {
        this.#attempt = 0;
        this.#session = session;
        this.#events.connection?.(true);
        const pending = this.#pending;
        this.#pending = undefined;
        // Fails only after close(), when there is nobody left to tell.
        if (pending) this.announce(pending).catch(() => undefined);
      }, () => {
        if (!this.#closed) this.#scheduleReconnect();
      });
    }, Math.random() * ceiling);
  }

  /**
   * Leaves cleanly, so the other resources see us go; the client bounds each step of that (2 s), and a dead
   * connection fails at once.
   */
  async #hangUp(session: Session): Promise<void> {
    session.ended = true;
    clearTimeout(session.keepalive);
    await session.xmpp.stop().catch(() => undefined);
    end(session);
  }

  #unavailable(err: unknown): NotifierUnavailableError {
    const where = new URL(this.#settings.service).host;
    if (err instanceof NotifierClosedError) return new NotifierUnavailableError(this.description, 'closed while connecting');
    if (err instanceof Unusable) return new NotifierUnavailableError(this.description, err.message, err.hint);
    const e = err as { name?: string; condition?: string; code?: string; message?: string };
    if (e.name === 'SASLError') {
      if (e.condition === 'not-authorized') return new NotifierUnavailableError(this.description, `the server refused the password for ${this.#settings.jid} (wrong password, or no such account)`, 'check the password ferry was given (environment or file) and that the account exists');
      return new NotifierUnavailableError(this.description, `authentication failed (${e.condition ?? e.message})`);
    }
    if (e.name === 'StreamError') return new NotifierUnavailableError(this.description, `the server closed the stream (${e.condition ?? e.message})`, e.condition === 'host-unknown' ? `is ${this.#settings.domain} served by ${where}?` : undefined);
    if (/CERT|SELF_SIGNED|ERR_TLS/.test(e.code ?? '')) return new NotifierUnavailableError(this.description, `the TLS certificate of ${where} was not accepted (${e.code})`, 'it must match the host name and chain to a trusted CA (NODE_EXTRA_CA_CERTS=/path/ca.pem adds one)');
    return new NotifierUnavailableError(this.description, `cannot connect to ${where}${e.code ? ` (${e.code})` : `: ${e.message ?? String(err)}`}`, `is the XMPP server running and reachable at ${where}?`);
  }
}

/** A reason to give up that is ours, with what to do about it. */
class Unusable extends Error {
  constructor(message: string, readonly hint: string) {
    super(message);
  }
}

/** A headline (RFC 6121 §5.2.2: never stored offline) with the frame in base64 and the channel it is for. */
function message(to: string, channel: string, frame: Buffer): Element {
  return xml('message', { to, type: 'headline' },
    xml('body', null, frame.toString('base64')),
    xml('notice', { xmlns: NS, channel }),
    xml('no-store', { xmlns: NS_HINTS }));
}

function ping(xmpp: XmppClient): Promise<Element> {
  return xmpp.iqCaller.request(xml('iq', { type: 'get' }, xml('ping', { xmlns: NS_PING })), PING_TIMEOUT_MS);
}

function bareOf(jid: string): string {
  const slash = jid.indexOf('/');
  return (slash < 0 ? jid : jid.slice(0, slash)).toLowerCase();
}

function end(session: Session): void {
  session.ended = true;
  clearTimeout(session.keepalive);
  destroy(session.xmpp);
}

/**
 * Drops the connection at once, without the client's close handshake, which could leave its timers waiting
 * on a dead server.
 */
function destroy(xmpp: XmppClient): void {
  xmpp.removeAllListeners('stanza');
  xmpp.removeAllListeners('disconnect');
  xmpp.removeAllListeners('offline');
  const socket = xmpp.socket;
  try {
    (socket?.socket ?? socket)?.destroy?.();
  } catch {
    // already closed
  }
}
