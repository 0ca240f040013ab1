// The part of @xmpp/client 0.14 (which ships no types) that notify/transports/xmpp.ts and its tests use.
declare module '@xmpp/client' {
  import type { EventEmitter } from 'node:events';

  export interface Element {
    readonly name: string;
    readonly attrs: Record<string, string | undefined>;
    getChild(name: string, xmlns?: string): Element | undefined;
    getChildText(name: string, xmlns?: string): string | null;
    text(): string;
    toString(): string;
  }

  export interface Jid {
    readonly local: string;
    readonly domain: string;
    readonly resource: string;
    bare(): Jid;
    toString(): string;
  }

  export interface ClientOptions {
    readonly service: string;
    readonly domain: string;
    readonly username: string;
    readonly password: string;
    readonly resource: string;
    /** ms for each step of opening and closing a stream (default 2000). */
    readonly timeout?: number;
    readonly credentials?: (
      authenticate: (credentials: { username: string; password: string }, mechanism: string) => Promise<void>,
      mechanisms: readonly string[],
      fast: unknown,
      entity: XmppClient,
    ) => Promise<void>;
  }

  export interface XmppClient extends EventEmitter {
    status: string;
    readonly socket: { destroy?(): void; socket?: { destroy?(): void } | null } | null;
    readonly reconnect: { stop(): void };
    readonly iqCaller: { request(element: Element, timeout?: number): Promise<Element> };
    isSecure(): boolean;
    start(): Promise<Jid>;
    stop(): Promise<unknown>;
    send(element: Element): Promise<void>;
  }

  export function client(options: ClientOptions): XmppClient;
  export function xml(name: string, attrs?: Record<string, string> | null, ...children: (Element | string)[]): Element;
  export function jid(value: string): Jid;
}
