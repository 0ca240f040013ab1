// The xmpp notifier's setting: `USER@HOST[/RESOURCE][,service=URL][,tls=require|off]` (docs/notify.md "XMPP").
// The password never appears here: the caller reads it from the environment or a file (NotifierDeps.password),
// and a service URL with credentials in it is refused, so a spec can be printed as it is.
import { NotifierConfigError } from '../notifier.js';

export interface XmppSettings {
  /** The account's bare JID, USER@HOST: every device of the repository logs in to it. */
  readonly jid: string;
  readonly username: string;
  readonly domain: string;
  /** Each connection's resource is this plus a random suffix, so devices never replace each other's session. */
  readonly resourcePrefix: string;
  /** xmpp://HOST:PORT (STARTTLS when offered), xmpps://HOST:PORT (direct TLS), ws:// or wss:// (RFC 7395). */
  readonly service: string;
  /** require: refuse to authenticate over a connection without TLS; off: allow it (loopback, a trusted LAN). */
  readonly tls: 'require' | 'off';
}

const DEFAULT_PORTS: Record<string, number> = { 'xmpp:': 5222, 'xmpps:': 5223 };
// RFC 7622 §3.3.1: these may not appear in a localpart.
const LOCALPART = /^[^\s"&'/:<>@]{1,1023}$/;
const DOMAIN = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const RESOURCE_PREFIX = /^[\x21-\x7e]{1,64}$/;

export function parseXmppSpec(value: string): XmppSettings {
  const [address = '', ...options] = value.trim().split(',');
  const at = address.indexOf('@');
  if (at < 0) throw new NotifierConfigError(`xmpp: '${address}' is not an account such as alice@example.org`);
  const username = address.slice(0, at);
  const rest = address.slice(at + 1);
  const slash = rest.indexOf('/');
  const domain = slash < 0 ? rest : rest.slice(0, slash);
  const resource = slash < 0 ? undefined : rest.slice(slash + 1);
  if (!LOCALPART.test(username)) throw new NotifierConfigError(`xmpp: user '${username}' is not a valid XMPP localpart (empty, or with a space or one of " & ' / : < > @)`);
  if (!DOMAIN.test(domain)) throw new NotifierConfigError(`xmpp: host '${domain}' is not a domain name`);
  if (resource !== undefined && !RESOURCE_PREFIX.test(resource)) throw new NotifierConfigError(`xmpp: resource '${resource}' must be 1 to 64 printable characters without spaces or commas`);

  let service = `xmpp://${domain}:${DEFAULT_PORTS['xmpp:']}`;
  let tls: 'require' | 'off' = 'require';
  const seen = new Set<string>();
  for (const option of options) {
    const eq = option.indexOf('=');
    if (eq < 0) throw new NotifierConfigError(`xmpp: option '${option}' is not KEY=VALUE (service=URL or tls=require|off)`);
    const key = option.slice(0, eq).trim();
    const v = option.slice(eq + 1).trim();
    if (seen.has(key)) throw new NotifierConfigError(`xmpp: option '${key}' is given twice`);
    seen.add(key);
    if (key === 'service') service = parseService(v);
    else if (key === 'tls') {
      if (v !== 'require' && v !== 'off') throw new NotifierConfigError(`xmpp: tls '${v}' is neither require nor off`);
      tls = v;
    } else throw new NotifierConfigError(`xmpp: unknown option '${key}' (known: service, tls)`);
  }
  return { jid: `${username}@${domain}`, username, domain, resourcePrefix: resource ?? 'ferry', service, tls };
}

function parseService(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new NotifierConfigError(`xmpp: service '${value}' is not a URL such as xmpp://HOST:PORT`);
  }
  if (url.username !== '' || url.password !== '') throw new NotifierConfigError('xmpp: service URL must not carry a user or password (the password comes from the environment or a file)');
  if (url.hostname === '') throw new NotifierConfigError(`xmpp: service '${value}' names no host`);
  if (url.protocol === 'ws:' || url.protocol === 'wss:') return url.href;
  const port = DEFAULT_PORTS[url.protocol];
  if (port === undefined) throw new NotifierConfigError(`xmpp: service scheme '${url.protocol}' is not one of xmpp:, xmpps:, ws:, wss:`);
  if ((url.pathname !== '' && url.pathname !== '/') || url.search !== '' || url.hash !== '') throw new NotifierConfigError(`xmpp: service '${value}' has a path; ${url.protocol}// takes only HOST:PORT`);
  return `${url.protocol}//${url.host}${url.port === '' ? `:${port}` : ''}`;
}
