// The `mqtt` notifier: sealed notices through an MQTT broker (tested against mosquitto 2.0) with mqtt.js, the
// only file that imports it. A broker keeps one retained message per topic, so each peer publishes on its own
// topic ferry/v1/<channel id>/<peer tag> (retained, QoS 1) and receivers subscribe to ferry/v1/<channel id>/+:
// a (re)subscribe brings every peer's last notice, not only the last peer's (issue 14). The broker sees the
// channel id, a peer tag and opaque frames (notice.ts); it can drop or replay notices, never forge them.
//
// mqtt.js reconnects on a fixed period; we want exponential backoff with full jitter, so each connection is a
// fresh client with reconnectPeriod 0 and this file schedules the next one. Clean sessions with a random client
// id: the broker holds no session for us, and the retained messages a new subscription gets are the catch-up.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { isAbsolute } from 'node:path';
import mqtt from 'mqtt';
import type { IClientOptions, MqttClient } from 'mqtt';
import { MAX_FRAME_BYTES } from '../notice.js';
import { NotifierClosedError, NotifierConfigError, NotifierUnavailableError } from '../notifier.js';
import type { ChangeNotice, Notifier, NotifierCapabilities, NotifierDeps, NotifierEvents } from '../notifier.js';

export interface MqttSettings {
  readonly tls: boolean;
  readonly host: string;
  readonly port: number;
  readonly username?: string;
  /** A CA certificate file (PEM) to trust for mqtts instead of the system's. */
  readonly caFile?: string;
}

const TOPIC_ROOT = 'ferry/v1';
const DEFAULT_PORT = { mqtt: 1883, mqtts: 8883 } as const;
const CONNECT_TIMEOUT_MS = 5_000;
const KEEPALIVE_S = 30;
const BACKOFF_START_MS = 250;
const BACKOFF_CAP_MS = 30_000;
/** A connection that lasted this long resets the backoff; shorter ones (a broker kicking us) keep growing it. */
const STABLE_MS = 10_000;
const SPEC_SHAPE = /^(mqtts?):\/\/(?:([^@/?#]*)@)?(\[[^\]/?#]*\]|[^:/?#[\]]*)(?::([^/?#]*))?(\/?)(?:\?(.*))?$/;

/**
 * mqtt://[USER@]HOST[:PORT] or mqtts://[USER@]HOST[:PORT][?ca=/PATH/TO/CA.pem]. The password never goes in
 * the URL (it would land in git config and in messages): the caller gives it as deps.password.
 */
export function parseMqttSpec(value: string): MqttSettings {
  const m = SPEC_SHAPE.exec(value);
  if (!m) {
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value)?.[1];
    if (scheme !== undefined && !/^mqtts?$/.test(scheme)) throw new NotifierConfigError(`mqtt: scheme '${scheme}' is not mqtt or mqtts`);
    throw new NotifierConfigError(`mqtt: '${value}' is not a URL like mqtt://[USER@]HOST[:PORT] or mqtts://…[?ca=PATH]`);
  }
  const [, scheme, userinfo, rawHost = '', rawPort, , query] = m as unknown as [string, 'mqtt' | 'mqtts', ...(string | undefined)[]];
  if (userinfo !== undefined && userinfo.includes(':')) {
    throw new NotifierConfigError('mqtt: the URL carries a password', 'remove it from the URL; ferry reads the MQTT password from the environment or a file');
  }
  const username = userinfo === undefined ? undefined : decode(userinfo, 'user');
  if (username === '') throw new NotifierConfigError("mqtt: the user before '@' is empty");
  const host = rawHost.startsWith('[') ? rawHost.slice(1, -1) : rawHost;
  if (host === '') throw new NotifierConfigError(`mqtt: no host in '${value}'`);
  let port: number = DEFAULT_PORT[scheme];
  if (rawPort !== undefined) {
    if (!/^[0-9]+$/.test(rawPort)) throw new NotifierConfigError(`mqtt: port '${rawPort}' is not a number`);
    port = Number(rawPort);
    if (port < 1 || port > 65535) throw new NotifierConfigError(`mqtt: port ${rawPort} is not between 1 and 65535`);
  }
  let caFile: string | undefined;
  for (const pair of query === undefined || query === '' ? [] : query.split('&')) {
    const eq = pair.indexOf('=');
    const key = eq < 0 ? pair : pair.slice(0, eq);
    if (key !== 'ca') throw new NotifierConfigError(`mqtt: unknown option '${key}' (the only one is ca=PATH)`);
    if (caFile !== undefined) throw new NotifierConfigError('mqtt: ca= is given twice');
    caFile = decode(eq < 0 ? '' : pair.slice(eq + 1), 'ca');
    if (!isAbsolute(caFile)) throw new NotifierConfigError(`mqtt: ca path '${caFile}' is not absolute`);
    if (scheme !== 'mqtts') throw new NotifierConfigError('mqtt: ca= needs mqtts:// (plain mqtt:// has no TLS)');
  }
  return { tls: scheme === 'mqtts', host, port, ...(username === undefined ? {} : { username }), ...(caFile === undefined ? {} : { caFile }) };
}

/** `value` fit to print: a password someone put in the URL anyway is masked. */
export function redactMqttSpec(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^@/?#:]*):[^@/?#]*@/i, '$1:***@');
}

export function createMqttNotifier(settings: MqttSettings, deps: NotifierDeps): Notifier {
  return new MqttNotifier(settings, deps);
}

function decode(text: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new NotifierConfigError(`mqtt: the ${what} '${text}' has a bad %-escape`);
  }
}

interface Live {
  readonly client: MqttClient;
  /** Resolves when this connection is gone: publishes not yet acknowledged go back to #pending. */
  readonly lost: Promise<void>;
  readonly markLost: () => void;
}

interface Outgoing {
  readonly topic: string;
  readonly frame: Buffer;
  /** Order of announce() calls: a failed send never overwrites a newer pending one. */
  readonly serial: number;
}

class MqttNotifier implements Notifier {
  readonly description: string;
  readonly capabilities: NotifierCapabilities = { catchUp: true, prompt: true };
  readonly #settings: MqttSettings;
  readonly #deps: NotifierDeps;
  readonly #clientId = `ferry-${randomBytes(8).toString('hex')}`;
  readonly #subscription: string;
  #onNotice: ((notice: ChangeNotice) => void) | undefined;
  #events: NotifierEvents = {};
  #ca: Buffer | undefined;
  #started = false;
  #closed = false;
  /** The live connection (subscribed), or undefined while (re)connecting. */
  #live: Live | undefined;
  /** A connection attempt in progress, so close() can abort it. */
  #connecting: MqttClient | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #failures = 0;
  #serial = 0;
  /** The newest notice not yet acknowledged by the broker, sent on reconnect. */
  #pending: Outgoing | undefined;

  constructor(settings: MqttSettings, deps: NotifierDeps) {
    this.#settings = settings;
    this.#deps = deps;
    const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
    const user = settings.username === undefined ? '' : `${encodeURIComponent(settings.username)}@`;
    this.description = `mqtt ${settings.tls ? 'mqtts' : 'mqtt'}://${user}${host}:${settings.port}`;
    this.#subscription = `${TOPIC_ROOT}/${deps.channel.id}/+`;
  }

  async start(onNotice: (notice: ChangeNotice) => void, events: NotifierEvents = {}): Promise<void> {
    if (this.#started) throw new Error(`${this.description}: start() called twice`);
    if (this.#closed) throw new NotifierClosedError(this.description);
    this.#started = true;
    this.#onNotice = onNotice;
    this.#events = events;
    if (this.#settings.caFile !== undefined) {
      try {
        this.#ca = await readFile(this.#settings.caFile);
      } catch (err) {
        throw new NotifierConfigError(`mqtt: cannot read the CA file ${this.#settings.caFile}: ${(err as Error).message}`);
      }
    }
    try {
      await this.#connect();
    } catch (err) {
      throw unavailable(this.description, err);
    }
  }

  async announce(notice: ChangeNotice): Promise<void> {
    if (this.#closed) throw new NotifierClosedError(this.description);
    const out: Outgoing = {
      topic: `${TOPIC_ROOT}/${this.#deps.channel.id}/${this.#deps.channel.peerTag(notice.peer)}`,
      frame: this.#deps.channel.seal(notice),
      serial: ++this.#serial,
    };
    await this.#send(out);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#onNotice = undefined;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#live?.markLost();
    const clients = [this.#live?.client, this.#connecting].filter((c): c is MqttClient => c !== undefined);
    this.#live = undefined;
    this.#connecting = undefined;
    await Promise.all(clients.map((c) => endClient(c)));
  }

  /** Publishes `out`, or keeps it (if newest) for the next connection; resolves either way. */
  async #send(out: Outgoing): Promise<void> {
    const live = this.#live;
    if (live === undefined) {
      this.#keep(out);
      return;
    }
    // A drop settles `lost` whatever mqtt.js does with the publishes it was waiting to see acknowledged.
    const acked = live.client.publishAsync(out.topic, out.frame, { qos: 1, retain: true }).then(() => true, () => false);
    if (!(await Promise.race([acked, live.lost.then(() => false)]))) this.#keep(out); // the next connection sends it
  }

  #keep(out: Outgoing): void {
    if (!this.#closed && (this.#pending === undefined || this.#pending.serial < out.serial)) this.#pending = out;
  }

  /** One connection: connect, subscribe, resolve; rejects (leaving nothing open) if any step fails. */
  async #connect(): Promise<void> {
    const options: IClientOptions = {
      protocol: this.#settings.tls ? 'mqtts' : 'mqtt',
      host: this.#settings.host,
      port: this.#settings.port,
      clientId: this.#clientId,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: CONNECT_TIMEOUT_MS,
      keepalive: KEEPALIVE_S,
      ...(this.#settings.username === undefined ? {} : { username: this.#settings.username }),
      ...(this.#deps.password === undefined ? {} : { password: this.#deps.password }),
      ...(this.#ca === undefined ? {} : { ca: this.#ca }),
      // SNI carries host names only (RFC 6066 §3); an IP address is checked against the certificate without it.
      ...(this.#settings.tls && isIP(this.#settings.host) === 0 ? { servername: this.#settings.host } : {}),
    };
    const client = mqtt.connect(options);
    this.#connecting = client;
    let lastError: Error | undefined;
    client.on('error', (err) => {
      lastError = err;
    });
    client.on('message', (_topic, payload) => this.#receive(payload));
    try {
      await new Promise<void>((resolve, reject) => {
        client.once('connect', () => resolve());
        client.once('close', () => reject(lastError ?? new Error(`no answer within ${CONNECT_TIMEOUT_MS / 1000} s`)));
      });
      const granted = await client.subscribeAsync(this.#subscription, { qos: 1 });
      if (granted.some((g) => g.qos === 128)) throw new Error(`the broker refused the subscription to ${this.#subscription} (an ACL?)`);
    } catch (err) {
      if (this.#connecting === client) this.#connecting = undefined;
      await endClient(client);
      throw this.#closed ? new NotifierUnavailableError(this.description, 'closed before the connection was up') : err;
    }
    if (this.#closed) return; // close() ended it meanwhile
    this.#connecting = undefined;
    let markLost = () => {};
    const lost = new Promise<void>((resolve) => {
      markLost = resolve;
    });
    const live: Live = { client, lost, markLost };
    this.#live = live;
    const upSince = Date.now();
    client.once('close', () => this.#dropped(live, upSince));
    this.#events.connection?.(true);
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending) void this.#send(pending);
  }

  #dropped(live: Live, upSince: number): void {
    if (this.#live !== live) return;
    this.#live = undefined;
    live.markLost();
    live.client.end(true); // frees what mqtt.js keeps for a resend on this client, which will never come
    if (Date.now() - upSince >= STABLE_MS) this.#failures = 0;
    this.#events.connection?.(false);
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    if (this.#closed) return;
    // Full jitter (uniform in [0, min(cap, start·2^n)]): clients dropped together do not return together.
    const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_START_MS * 2 ** this.#failures);
    this.#failures = Math.min(this.#failures + 1, 20);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#connect().catch(() => this.#scheduleReconnect());
    }, Math.random() * ceiling);
  }

  #receive(payload: Buffer): void {
    const onNotice = this.#onNotice;
    if (onNotice === undefined) return;
    if (payload.length > MAX_FRAME_BYTES) {
      this.#events.dropped?.(`a message of ${payload.length} bytes (at most ${MAX_FRAME_BYTES})`);
      return;
    }
    let notice: ChangeNotice;
    try {
      notice = this.#deps.channel.open(payload);
    } catch (err) {
      this.#events.dropped?.((err as Error).message);
      return;
    }
    onNotice(notice);
  }
}

/** Ends a client at once and waits until its socket is closed. */
function endClient(client: MqttClient): Promise<void> {
  return new Promise((resolve) => {
    if (client.stream?.destroyed !== false) {
      client.end(true);
      resolve();
    } else {
      client.end(true, {}, () => resolve());
    }
  });
}

function unavailable(description: string, err: unknown): Error {
  if (err instanceof NotifierConfigError || err instanceof NotifierUnavailableError) return err;
  const e = err as Error & { code?: string | number };
  if (e.code === 4 || e.code === 5) {
    return new NotifierUnavailableError(description, `the broker refused the login (${e.message})`,
      'check the user in the URL and the MQTT password ferry was given');
  }
  if (e.code === 'ECONNREFUSED') return new NotifierUnavailableError(description, 'connection refused', 'is the broker running and listening there?');
  if (typeof e.code === 'string' && /CERT|TLS|SSL/.test(e.code)) {
    return new NotifierUnavailableError(description, `TLS failed (${e.message})`, "check the broker's certificate and ca=PATH");
  }
  return new NotifierUnavailableError(description, e.message, 'check the host and port, and that the broker is up');
}
