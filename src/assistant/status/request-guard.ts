// The checks every request passes before anything is served. The Host check defeats DNS rebinding: a web
// page on evil.example whose name is made to resolve to 127.0.0.1 still sends `Host: evil.example`. The
// token check keeps other local users' processes and other web pages out.
import type { IncomingMessage } from 'node:http';
import { sameSecret } from './secrets.js';

export function hostAllowed(req: IncomingMessage, port: number): boolean {
  const host = req.headers.host;
  return host === `127.0.0.1:${port}` || host === `localhost:${port}`;
}

/**
 * The session cookie's name. Cookies are not scoped by port, so two assistants (two repositories) on one
 * machine must not share a name, or logging in to one would log the browser out of the other.
 */
export function cookieName(port: number): string {
  return `ferry-status-${port}`;
}

/** True when the request carries the bearer token or the session cookie. */
export function authorised(req: IncomingMessage, secrets: { token: string; session: string; cookie: string }): boolean {
  const auth = req.headers.authorization;
  if (auth !== undefined) {
    const m = /^Bearer (\S+)$/.exec(auth);
    return m !== null && sameSecret(m[1]!, secrets.token);
  }
  const value = cookieValue(req.headers.cookie, secrets.cookie);
  return value !== undefined && sameSecret(value, secrets.session);
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
