// Every transport, by the name a notifier setting starts with (STYLE 9: a literal map, no registration by
// import side effect). A setting is `NAME=VALUE` (`relay=ws://relay.example:7080`) or a bare `poll`.
import { NotifierConfigError } from './notifier.js';
import type { Notifier, NotifierDeps } from './notifier.js';
import { createMqttNotifier, parseMqttSpec, redactMqttSpec } from './transports/mqtt.js';
import { createPollNotifier, parsePollSpec } from './transports/poll.js';
import type { ManifestProbe } from './transports/poll.js';
import { createRelayNotifier, parseRelaySpec } from './transports/relay.js';
import { createXmppNotifier } from './transports/xmpp.js';
import { parseXmppSpec } from './transports/xmpp-spec.js';

/** What a factory may be given: poll needs the probe, MQTT and XMPP may need a password. */
export interface TransportDeps extends NotifierDeps {
  readonly probe?: ManifestProbe;
}

interface Transport<S> {
  /** Validates VALUE; throws NotifierConfigError naming what is wrong. */
  parse(value: string): S;
  create(settings: S, deps: TransportDeps): Notifier;
  /** VALUE as it may be printed. */
  redact?(value: string): string;
  /** Whether it needs deps.password (read by the caller from the environment or a file). */
  readonly password?: boolean;
}

/** Erases a transport's settings type, so the map can hold them all (each parses what it creates from). */
function transport<S>(t: Transport<S>): Transport<unknown> {
  return t;
}

export const TRANSPORTS = {
  relay: transport({ parse: parseRelaySpec, create: createRelayNotifier }),
  mqtt: transport({ parse: parseMqttSpec, create: createMqttNotifier, redact: redactMqttSpec, password: true }),
  xmpp: transport({ parse: parseXmppSpec, create: createXmppNotifier, password: true }),
  poll: transport({
    parse: parsePollSpec,
    create: (settings: ReturnType<typeof parsePollSpec>, deps: TransportDeps) => {
      if (deps.probe === undefined) throw new NotifierConfigError('poll: this repository has no cloud to poll (no ferry:: remote)');
      return createPollNotifier(settings, { ...deps, probe: deps.probe });
    },
  }),
} as const satisfies Record<string, Transport<unknown>>;

export type TransportName = keyof typeof TRANSPORTS;

/** A notifier setting, checked: its transport, its value, and its transport's settings. */
export interface NotifierSpec {
  readonly transport: TransportName;
  readonly value: string;
  readonly settings: unknown;
  /** The setting as it may be printed (no password). */
  readonly text: string;
}

/** Parses `NAME=VALUE` or `poll`; `poll=off` is `undefined` (poll turned off). */
export function parseNotifierSpec(text: string): NotifierSpec | undefined {
  const eq = text.indexOf('=');
  const name = (eq < 0 ? text : text.slice(0, eq)).trim();
  const value = eq < 0 ? '' : text.slice(eq + 1).trim();
  if (!Object.hasOwn(TRANSPORTS, name)) {
    throw new NotifierConfigError(`notifier '${name}': unknown transport (known: ${Object.keys(TRANSPORTS).join(', ')})`);
  }
  const transportName = name as TransportName;
  if (transportName === 'poll' && value === 'off') return undefined;
  const t = TRANSPORTS[transportName];
  if (value === '' && transportName !== 'poll') throw new NotifierConfigError(`${name}: needs a value, as in ${example(transportName)}`);
  const settings = t.parse(value);
  return { transport: transportName, value, settings, text: value === '' ? name : `${name}=${t.redact?.(value) ?? value}` };
}

export function createNotifier(spec: NotifierSpec, deps: TransportDeps): Notifier {
  return TRANSPORTS[spec.transport].create(spec.settings, deps);
}

export function needsPassword(spec: NotifierSpec): boolean {
  return TRANSPORTS[spec.transport].password === true;
}

function example(name: TransportName): string {
  return { relay: 'relay=ws://HOST:PORT', mqtt: 'mqtt=mqtt://HOST:PORT', xmpp: 'xmpp=USER@HOST', poll: 'poll' }[name];
}
