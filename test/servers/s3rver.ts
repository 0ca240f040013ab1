// s3rver on loopback for tests (STYLE 13): a child process (so a test can SIGKILL it), an OS-assigned port
// read from its first output line, a temp data directory, SIGTERM then SIGKILL on teardown, and
// stop()/restart() on the same port and data for outage tests. s3rver-main.ts adds the S3 behaviours
// s3rver lacks (atomic puts, multipart listing and abort).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/tmp.js';
import type { AfterHook } from '../helpers/tmp.js';

/** s3rver's built-in account (models/account.js); any other key id gets InvalidAccessKeyId. */
export const s3rverCredentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

const mainScript = fileURLToPath(new URL('./s3rver-main.js', import.meta.url));
const readyTimeoutMs = 20_000;
const killGraceMs = 3_000;

export interface S3rverOptions {
  /** Created at start-up (as git-annex's lab setup did with --configure-bucket); stores can create their own. */
  readonly bucket?: string;
  /** Objects and parts whose key starts with this are stored with their first byte flipped. */
  readonly damage?: string;
  /** The address to listen on (default 127.0.0.1), e.g. a test's cloud namespace address (helpers/lans.ts). */
  readonly address?: string;
  /** A command prefix the server runs under, e.g. `ip netns exec NS`. */
  readonly wrap?: readonly string[];
}

export interface S3rverServer {
  /** http://127.0.0.1:PORT */
  readonly endpoint: string;
  readonly host: string;
  readonly port: number;
  readonly directory: string;
  readonly credentials: typeof s3rverCredentials;
  /** Part uploads the server has stored, in order, since start (all restarts included). */
  readonly partsReceived: readonly { readonly key: string; readonly part: number }[];
  /** Resolves once partsReceived has at least `count` entries. */
  waitForParts(count: number): Promise<void>;
  /** SIGTERM, then SIGKILL if it has not exited; the data directory stays for restart(). */
  stop(): Promise<void>;
  /** SIGKILL at once (an endpoint that vanishes mid-request). */
  kill(): Promise<void>;
  /** Starts again on the same port and data directory. */
  restart(): Promise<void>;
}

/** Starts s3rver for the test `t`; it is stopped and its directory removed when the test ends. */
export async function startS3rver(t: AfterHook, opts: S3rverOptions = {}): Promise<S3rverServer> {
  const parts: { key: string; part: number }[] = [];
  const partEvents = new EventEmitter();
  let child: ChildProcess | undefined;

  const launch = async (port: number): Promise<number> => {
    const args = [mainScript, '--directory', directory, '--port', String(port)];
    if (opts.bucket) args.push('--bucket', opts.bucket);
    if (opts.damage !== undefined) args.push('--damage', opts.damage);
    if (opts.address !== undefined) args.push('--address', opts.address);
    const [program, ...rest] = [...(opts.wrap ?? []), process.execPath, ...args];
    const proc = spawn(program!, rest, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    const stderr: string[] = [];
    proc.stderr.on('data', (b: Buffer) => stderr.push(b.toString('utf8')));
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        proc.kill('SIGKILL');
        reject(new Error(`s3rver did not report its port within ${readyTimeoutMs} ms: ${stderr.join('')}`));
      }, readyTimeoutMs);
      proc.on('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`s3rver exited (${code ?? signal}) before it was ready: ${stderr.join('')}`));
      });
      createInterface({ input: proc.stdout }).on('line', (line) => {
        let msg: { listening?: number; part?: number; key?: string };
        try {
          msg = JSON.parse(line) as typeof msg;
        } catch {
          return; // not one of s3rver-main's lines (a library writing to stdout)
        }
        if (msg.listening !== undefined) {
          clearTimeout(timer);
          resolve(msg.listening);
        } else if (msg.part !== undefined && msg.key !== undefined) {
          parts.push({ key: msg.key, part: msg.part });
          partEvents.emit('part');
        }
      });
    });
  };

  const halt = async (signal: NodeJS.Signals): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), killGraceMs);
    await exited;
    clearTimeout(timer);
  };

  // Registered before the directory's removal so the server is gone before its files are.
  t.after(() => halt('SIGTERM'));
  const directory = await tempDir(t, 'ferry-s3rver-');
  const port = await launch(0);
  const host = opts.address ?? '127.0.0.1';
  return {
    endpoint: `http://${host}:${port}`,
    host,
    port,
    directory,
    credentials: s3rverCredentials,
    partsReceived: parts,
    waitForParts: (count) => new Promise<void>((resolve) => {
      const check = () => {
        if (parts.length < count) return;
        partEvents.off('part', check);
        resolve();
      };
      partEvents.on('part', check);
      check();
    }),
    stop: () => halt('SIGTERM'),
    kill: () => halt('SIGKILL'),
    restart: async () => {
      await halt('SIGTERM');
      await launch(port);
    },
  };
}
