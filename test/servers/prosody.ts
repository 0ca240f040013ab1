// prosody on loopback for tests (STYLE 13): a config generated into a temp directory (data, pid file and log
// there too), c2s on 127.0.0.1 at a port the OS just gave a probe socket (retried if it is taken meanwhile), no
// s2s, plain SASL allowed without TLS on loopback, one VirtualHost "localhost"; started in the foreground as a
// child process, ready when its log (on stdout) says c2s listens on that port, SIGTERM then SIGKILL on teardown, and stop()/restart() on the same
// port and data. Accounts are made with `prosodyctl --config FILE register` (no server needed for that).
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from '../helpers/tmp.js';
import type { AfterHook } from '../helpers/tmp.js';
import { freePort } from './free-port.js';

const readyTimeoutMs = 20_000;
const killGraceMs = 3_000;

export interface ProsodyOptions {
  /** Offer STARTTLS with a fresh self-signed certificate for "localhost" (ProsodyServer.certificate). */
  readonly tls?: boolean;
}

export interface ProsodyServer {
  readonly host: string;
  readonly port: number;
  /** The VirtualHost: accounts are USER@localhost. */
  readonly domain: string;
  /** xmpp://127.0.0.1:PORT */
  readonly service: string;
  readonly directory: string;
  /** With `tls`: the PEM certificate it presents (self-signed, so it is its own CA). */
  readonly certificate?: string;
  /** Creates (or resets the password of) USER@localhost. */
  register(user: string, password: string): Promise<void>;
  /** SIGTERM, then SIGKILL if it has not exited; the data stays for restart(). */
  stop(): Promise<void>;
  /** Starts again on the same port and data. */
  restart(): Promise<void>;
}

/** Starts prosody for the test `t`; it is stopped and its directory removed when the test ends. */
export async function startProsody(t: AfterHook, opts: ProsodyOptions = {}): Promise<ProsodyServer> {
  let child: ChildProcess | undefined;
  const halt = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), killGraceMs);
    await exited;
    clearTimeout(timer);
  };
  // Registered before the directory's removal so the server is gone before its files are.
  t.after(halt);
  const directory = await tempDir(t, 'ferry-prosody-');
  const config = join(directory, 'prosody.cfg.lua');
  // prosody finds HOST.crt and HOST.key here by itself; an empty directory means no TLS.
  const certs = join(directory, 'certs');
  await mkdir(certs);
  if (opts.tls) {
    await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost', '-keyout', join(certs, 'localhost.key'), '-out', join(certs, 'localhost.crt')]);
  }

  const launch = async (port: number): Promise<void> => {
    await writeFile(config, prosodyConfig(directory, port, opts.tls === true));
    // -F: stay in the foreground, so SIGTERM and the exit status are ours.
    const proc = spawn('prosody', ['--config', config, '-F'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    const output: string[] = [];
    proc.stderr.on('data', (b: Buffer) => output.push(b.toString('utf8')));
    const listening = `Activated service 'c2s' on [127.0.0.1]:${port}`;
    await new Promise<void>((resolve, reject) => {
      const fail = (why: string) => {
        clearTimeout(timer);
        proc.kill('SIGKILL');
        reject(new Error(`prosody ${why}:\n${output.join('')}`));
      };
      const timer = setTimeout(() => fail(`did not listen on 127.0.0.1:${port} within ${readyTimeoutMs} ms`), readyTimeoutMs);
      proc.once('exit', (code, signal) => fail(`exited (${code ?? signal}) before it was ready`));
      createInterface({ input: proc.stdout }).on('line', (line) => {
        output.push(`${line}\n`);
        if (line.includes(listening)) {
          clearTimeout(timer);
          resolve();
        } else if (/Failed to open server port/.test(line)) {
          fail('could not bind its port (EADDRINUSE)');
        }
      });
    });
  };

  let port = 0;
  for (let tries = 0; ; tries++) {
    port = await freePort();
    try {
      await launch(port);
      break;
    } catch (err) {
      // Someone took the port between the probe and prosody's bind: take another.
      if (tries < 3 && /Address already in use|EADDRINUSE/i.test(String(err))) continue;
      throw err;
    }
  }
  return {
    host: '127.0.0.1',
    port,
    domain: 'localhost',
    service: `xmpp://127.0.0.1:${port}`,
    directory,
    ...(opts.tls ? { certificate: join(certs, 'localhost.crt') } : {}),
    register: async (user, password) => {
      await promisify(execFile)('prosodyctl', ['--config', config, 'register', user, 'localhost', password], { timeout: readyTimeoutMs });
    },
    stop: halt,
    restart: async () => {
      await halt();
      await launch(port);
    },
  };
}

/** A prosody config for c2s on 127.0.0.1:`port` only, data under `directory` (also used by bench/notify). */
export function prosodyConfig(directory: string, port: number, tls: boolean): string {
  const lua = (s: string) => JSON.stringify(s); // a JSON string is a valid Lua string for these paths
  return [
    // As root (CI, these machines) prosody 0.12 otherwise warns, fails a module and hangs.
    ...(process.getuid?.() === 0 ? ['run_as_root = true'] : []),
    'daemonize = false',
    `pidfile = ${lua(join(directory, 'prosody.pid'))}`,
    `data_path = ${lua(join(directory, 'data'))}`,
    `certificates = ${lua(join(directory, 'certs'))}`,
    'log = { info = "*console" }',
    'interfaces = { "127.0.0.1" }',
    'local_interfaces = { "127.0.0.1" }',
    `c2s_ports = { ${port} }`,
    'c2s_direct_tls_ports = { }',
    's2s_ports = { }',
    `modules_enabled = { "saslauth", "ping"${tls ? ', "tls"' : ''} }`,
    'modules_disabled = { "s2s" }',
    'authentication = "internal_plain"',
    'c2s_require_encryption = false',
    'allow_unencrypted_plain_auth = true',
    'VirtualHost "localhost"',
    '',
  ].join('\n');
}

