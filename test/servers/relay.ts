// `ferry relay` on loopback for tests (STYLE 13): the built command as a child process (so a test can signal
// it and read its memory), an OS-assigned port read from its first log line, SIGTERM then SIGKILL on
// teardown, and restart() on the same port. The relay writes nothing to disk, so there is no directory.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { WebSocket } from 'ws';
import { distBin, testEnv } from '../helpers/env.js';
import { run } from '../helpers/run.js';
import type { AfterHook } from '../helpers/tmp.js';

const ferryApp = join(distBin, '..', 'app', 'ferry.mjs');
const readyTimeoutMs = 20_000;
const killGraceMs = 5_000;

export interface RelayServer {
  /** ws://127.0.0.1:PORT/v1 (wss:// when args include --cert) */
  readonly url: string;
  /** http://127.0.0.1:PORT (https://…) */
  readonly http: string;
  readonly port: number;
  readonly pid: () => number;
  /** Every JSON log line the relay wrote on stderr so far (all restarts included). */
  readonly logs: Record<string, unknown>[];
  /** VmRSS of the relay process, in bytes (from /proc/PID/status). */
  rss(): number;
  /** GET /metrics, parsed into "name{labels}" → value. */
  metrics(): Promise<Map<string, number>>;
  /** SIGTERM (or `signal`); resolves with the exit status, SIGKILL after a grace period. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Starts again on the same port (retained notices are gone: the relay keeps them in memory only). */
  restart(): Promise<void>;
}

/** Starts `ferry relay --listen 127.0.0.1:0 ...args` (or on `where.address`, under `where.wrap`) for the test `t`; stopped when the test ends. */
export async function startRelayServer(t: AfterHook, args: readonly string[] = [], where: { address?: string; wrap?: readonly string[] } = {}): Promise<RelayServer> {
  const host = where.address ?? '127.0.0.1';
  const logs: Record<string, unknown>[] = [];
  let child: ChildProcess | undefined;

  const launch = (port: number): Promise<number> => {
    const [program, ...rest] = [...(where.wrap ?? []), process.execPath, ferryApp, 'relay', '--listen', `${host}:${port}`, ...args];
    const proc = spawn(program!, rest, { env: testEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    const other: string[] = [];
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        proc.kill('SIGKILL');
        reject(new Error(`ferry relay did not report its port within ${readyTimeoutMs} ms: ${other.join('\n')}`));
      }, readyTimeoutMs);
      proc.on('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`ferry relay exited (${code ?? signal}) before it was ready: ${other.join('\n')}`));
      });
      createInterface({ input: proc.stderr }).on('line', (line) => {
        let event: Record<string, unknown>;
        try {
          event = JSON.parse(line) as Record<string, unknown>;
        } catch {
          other.push(line);
          return;
        }
        logs.push(event);
        if (event.msg === 'listening' && typeof event.port === 'number') {
          clearTimeout(timer);
          resolve(event.port);
        }
      });
    });
  };

  const halt = async (signal: NodeJS.Signals): Promise<number | null> => {
    const proc = child;
    child = undefined;
    if (!proc) return null;
    if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), killGraceMs);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };

  t.after(() => halt('SIGTERM'));
  const port = await launch(0);
  const tls = args.includes('--cert');
  const http = `${tls ? 'https' : 'http'}://${host}:${port}`;
  return {
    url: `${tls ? 'wss' : 'ws'}://${host}:${port}/v1`,
    http,
    port,
    pid: () => child?.pid ?? -1,
    logs,
    rss: () => {
      const status = readFileSync(`/proc/${child?.pid ?? -1}/status`, 'utf8');
      const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
      if (kb === undefined) throw new Error('no VmRSS line in /proc/PID/status');
      return Number(kb) * 1024;
    },
    metrics: async () => {
      const text = await (await fetch(`${http}/metrics`)).text();
      const values = new Map<string, number>();
      for (const line of text.split('\n')) {
        if (line === '' || line.startsWith('#')) continue;
        const at = line.lastIndexOf(' ');
        values.set(line.slice(0, at), Number(line.slice(at + 1)));
      }
      return values;
    },
    stop: (signal = 'SIGTERM') => halt(signal),
    restart: async () => {
      await halt('SIGTERM');
      await launch(port);
    },
  };
}

/** A WebSocket client speaking the relay protocol by hand, as a hostile or a test client would. */
export class RawRelayClient {
  readonly frames: Buffer[] = [];
  readonly texts: Record<string, unknown>[] = [];
  /** Resolves with the close code once the connection is closed, by either side. */
  readonly closed: Promise<number>;
  #waiters: (() => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.on('error', () => undefined); // surfaces as the close code
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) this.frames.push(data);
      else this.texts.push(JSON.parse(data.toString('utf8')) as Record<string, unknown>);
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  static async open(url: string, opts: { ca?: Buffer } = {}): Promise<RawRelayClient> {
    const ws = new WebSocket(url, { perMessageDeflate: false, ...opts });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new RawRelayClient(ws);
  }

  /** Subscribes and waits for the relay's answer: `{"subscribed":[...]}` or `{"error":...}`. */
  async subscribe(channels: readonly string[]): Promise<Record<string, unknown>> {
    const before = this.texts.length;
    this.ws.send(JSON.stringify({ sub: channels }));
    await this.until(() => this.texts.length > before, 'an answer to the subscription');
    return this.texts[before]!;
  }

  publish(frame: Uint8Array): Promise<void> {
    return new Promise<void>((resolve) => this.ws.send(frame, { binary: true }, () => resolve()));
  }

  /** Waits until `cond` holds after some message arrives (or already holds); rejects if the connection closes first. */
  async until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!cond()) {
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error(`connection closed while waiting for ${what}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.#waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
  }

  async close(): Promise<void> {
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.terminate();
    await this.closed;
  }
}

/** Sends one frame on a fresh connection and closes it (a relay may close it first: oversized frames). */
export async function publishOnce(url: string, frame: Uint8Array): Promise<void> {
  const client = await RawRelayClient.open(url);
  await client.publish(frame);
  client.ws.close(1000);
  await client.closed;
}

/** A loopback port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A self-signed certificate for IP 127.0.0.1 (an EC key: fast to make), written into `dir`. */
export async function makeCertificate(dir: string): Promise<{ cert: string; key: string }> {
  const cert = join(dir, 'relay.crt');
  const key = join(dir, 'relay.key');
  await run(dir, 'openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
  return { cert, key };
}
