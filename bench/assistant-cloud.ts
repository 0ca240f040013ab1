// The cloud of the assistant benchmark: s3rver (as the tests start it) behind a counting HTTP proxy in the
// benchmark's process, and `ferry relay`, all on loopback. The proxy records every request the assistants
// make to the store (method, path, time), so idle and per-file request counts are exact, whatever the
// store's own log says. It forwards headers unchanged: the Host the client signed (SigV4) is the proxy's.
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { startS3rver } from '../test/servers/s3rver.js';
import { startRelayServer } from './notify-servers.js';
import type { ServerProcess } from './notify-servers.js';

export const BUCKET = 'ferry-bench';

export type RequestKind = 'list' | 'get' | 'head' | 'put' | 'delete' | 'other';

export interface StoreRequest {
  /** performance.now() when the request arrived at the proxy. */
  readonly at: number;
  readonly kind: RequestKind;
  readonly path: string;
}

export interface BenchCloud {
  /** Port of the counting proxy: what `cloud create` is given as the S3 endpoint. */
  readonly port: number;
  readonly relay: ServerProcess;
  /** Every request through the proxy, in order of arrival. */
  readonly requests: StoreRequest[];
  /** AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY of s3rver, for `cloud create --embed-credentials`. */
  readonly keys: Record<string, string>;
  close(): Promise<void>;
}

function kindOf(method: string, url: string): RequestKind {
  const query = url.includes('?') ? url.slice(url.indexOf('?') + 1) : '';
  if (method === 'GET' && /(^|&)(list-type=|prefix=|delimiter=)/.test(query)) return 'list';
  if (method === 'GET') return 'get';
  if (method === 'HEAD') return 'head';
  if (method === 'PUT' || method === 'POST') return 'put';
  if (method === 'DELETE') return 'delete';
  return 'other';
}

export async function startBenchCloud(env: NodeJS.ProcessEnv): Promise<BenchCloud> {
  const cleanups: (() => unknown)[] = [];
  const closeAll = async () => {
    for (const fn of cleanups.reverse()) await fn();
  };
  try {
    const s3 = await startS3rver({ after: (fn) => cleanups.push(fn) }, { bucket: BUCKET });
    const requests: StoreRequest[] = [];
    const proxy = createServer((req, res) => {
      const url = req.url ?? '/';
      requests.push({ at: performance.now(), kind: kindOf(req.method ?? 'GET', url), path: url });
      const upstream = request({ host: s3.host, port: s3.port, method: req.method, path: url, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => {
      proxy.closeAllConnections();
      proxy.close(() => resolve());
    }));
    const relay = await startRelayServer(env);
    cleanups.push(() => relay.stop());
    return {
      port: (proxy.address() as AddressInfo).port,
      relay,
      requests,
      keys: { AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey },
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** "12 (3 list, 9 get)": the requests in [from, to) by kind. */
export function describeRequests(requests: readonly StoreRequest[], from: number, to: number): { total: number; text: string } {
  const inside = requests.filter((r) => r.at >= from && r.at < to);
  const by = new Map<RequestKind, number>();
  for (const r of inside) by.set(r.kind, (by.get(r.kind) ?? 0) + 1);
  const parts = [...by.entries()].sort((x, y) => y[1] - x[1]).map(([k, n]) => `${n} ${k}`);
  return { total: inside.length, text: `${inside.length}${parts.length > 0 ? ` (${parts.join(', ')})` : ''}` };
}
