// Debian's mosquitto on loopback for tests (STYLE 13): a config generated into a temp dir, readiness from its
// "running" log line, SIGTERM then SIGKILL on teardown, and stop()/restart()/kill() on the same port and data.
// mosquitto cannot take port 0 on an address ("listener 0 127.0.0.1" opens a unix socket named 127.0.0.1), so
// the port is one the OS just gave a probe socket, retried if someone else takes it first. Persistence is on,
// saved on every change, so retained notices survive both a restart and a SIGKILL (issue 14). As root it needs
// `user root`: otherwise it drops to user mosquitto and silently fails to save into the root-owned temp dir.
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from '../helpers/tmp.js';
import type { AfterHook } from '../helpers/tmp.js';
import { freePort } from './free-port.js';

const mosquittoBin = '/usr/sbin/mosquitto';
const readyTimeoutMs = 20_000;
const killGraceMs = 3_000;
const portAttempts = 5;
const run = promisify(execFile);

export interface MosquittoOptions {
  /** Users and passwords (mosquitto_passwd); when given, anonymous clients are refused. */
  readonly users?: Readonly<Record<string, string>>;
  /** Serve MQTT over TLS with a certificate for 127.0.0.1 from a CA generated for this server (caFile). */
  readonly tls?: boolean;
}

export interface MosquittoServer {
  readonly host: string;
  readonly port: number;
  /** mqtt://127.0.0.1:PORT, or mqtts://… with tls. */
  readonly url: string;
  /** The CA that signed the server's certificate (tls only). */
  readonly caFile: string | undefined;
  readonly directory: string;
  /** Everything the broker logged, all restarts included (for failure messages). */
  readonly log: readonly string[];
  /** SIGTERM (mosquitto saves its database), then SIGKILL if it has not exited; the data stays for restart(). */
  stop(): Promise<void>;
  /** SIGKILL at once: a crash; only what autosave wrote survives. */
  kill(): Promise<void>;
  /** Starts again on the same port and data directory. */
  restart(): Promise<void>;
}

/** Starts mosquitto for the test `t`; it is stopped and its directory removed when the test ends. */
export async function startMosquitto(t: AfterHook, opts: MosquittoOptions = {}): Promise<MosquittoServer> {
  const log: string[] = [];
  let child: ChildProcess | undefined;

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
  // Registered before the directory's removal so the broker is gone before its files are.
  t.after(() => halt('SIGTERM'));
  const directory = await tempDir(t, 'ferry-mosquitto-');
  const tls = opts.tls ? await makeCertificates(directory) : undefined;
  let passwordFile: string | undefined;
  if (opts.users) {
    passwordFile = join(directory, 'passwords');
    await writeFile(passwordFile, '', { mode: 0o600 });
    for (const [user, password] of Object.entries(opts.users)) {
      await run('mosquitto_passwd', ['-b', passwordFile, user, password]);
    }
  }

  const launch = async (port: number): Promise<'ready' | 'in-use'> => {
    const config = join(directory, 'mosquitto.conf');
    await writeFile(config, [
      `listener ${port} 127.0.0.1`,
      ...(tls ? [`cafile ${tls.ca}`, `certfile ${tls.cert}`, `keyfile ${tls.key}`] : []),
      `allow_anonymous ${passwordFile ? 'false' : 'true'}`,
      ...(passwordFile ? [`password_file ${passwordFile}`] : []),
      'persistence true',
      `persistence_location ${directory}/`,
      'autosave_on_changes true',
      'autosave_interval 1',
      ...(process.getuid?.() === 0 ? ['user root'] : []),
      'log_dest stderr',
      'log_type all',
      '',
    ].join('\n'));
    const proc = spawn(mosquittoBin, ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    return new Promise((resolve, reject) => {
      let inUse = false;
      const timer = setTimeout(() => {
        proc.kill('SIGKILL');
        reject(new Error(`mosquitto was not ready within ${readyTimeoutMs} ms:\n${log.join('\n')}`));
      }, readyTimeoutMs);
      proc.on('exit', (code, signal) => {
        clearTimeout(timer);
        if (inUse) resolve('in-use');
        else reject(new Error(`mosquitto exited (${code ?? signal}) before it was ready:\n${log.join('\n')}`));
      });
      proc.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      let partial = '';
      proc.stderr.on('data', (b: Buffer) => {
        const lines = (partial + b.toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          log.push(line);
          if (line.includes('Address already in use')) inUse = true;
          if (/mosquitto version \S+ running/.test(line)) {
            clearTimeout(timer);
            resolve('ready');
          }
        }
      });
    });
  };

  let port = 0;
  for (let attempt = 1; port === 0; attempt++) {
    const candidate = await freePort();
    if (await launch(candidate) === 'ready') port = candidate;
    else if (attempt === portAttempts) throw new Error(`mosquitto found ${portAttempts} free ports taken:\n${log.join('\n')}`);
  }
  return {
    host: '127.0.0.1',
    port,
    url: `${tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${port}`,
    caFile: tls?.ca,
    directory,
    log,
    stop: () => halt('SIGTERM'),
    kill: () => halt('SIGKILL'),
    restart: async () => {
      await halt('SIGTERM');
      if (await launch(port) !== 'ready') throw new Error(`mosquitto: port ${port} was taken while it was down`);
    },
  };
}

/** A throwaway CA and a server certificate for IP 127.0.0.1 signed by it (EC keys: fast to make). */
async function makeCertificates(dir: string): Promise<{ ca: string; cert: string; key: string }> {
  const p = (name: string) => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run('openssl', ['req', '-x509', ...ec, '-keyout', p('ca.key'), '-out', p('ca.crt'), '-days', '2', '-subj', '/CN=ferry test CA']);
  await run('openssl', ['req', ...ec, '-keyout', p('server.key'), '-out', p('server.csr'), '-subj', '/CN=127.0.0.1']);
  await writeFile(p('server.ext'), 'subjectAltName=IP:127.0.0.1\n');
  await run('openssl', ['x509', '-req', '-in', p('server.csr'), '-CA', p('ca.crt'), '-CAkey', p('ca.key'), '-CAcreateserial',
    '-out', p('server.crt'), '-days', '2', '-extfile', p('server.ext')]);
  return { ca: p('ca.crt'), cert: p('server.crt'), key: p('server.key') };
}

/**
 * Publishes `payload` retained with QoS 1 as a hostile client would, speaking MQTT 3.1.1 over a bare socket
 * (not mqtt.js, so the bytes do not pass through the library under test). Resolves once the broker's PUBACK.
 */
export async function publishRetained(server: { host: string; port: number }, topic: string, payload: Uint8Array): Promise<void> {
  const utf8 = (s: string) => {
    const b = Buffer.from(s, 'utf8');
    return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
  };
  const packet = (first: number, body: Buffer) => {
    const len: number[] = [];
    let n = body.length;
    do {
      len.push((n % 128) | (n >= 128 ? 0x80 : 0));
      n = Math.floor(n / 128);
    } while (n > 0);
    return Buffer.concat([Buffer.from([first, ...len]), body]);
  };
  const connect = packet(0x10, Buffer.concat([utf8('MQTT'), Buffer.from([4, 0x02, 0, 60]), utf8(`hostile-${process.pid}-${Date.now()}`)]));
  const publish = packet(0x33, Buffer.concat([utf8(topic), Buffer.from([0, 1]), payload])); // QoS 1, retain, id 1
  const socket = createConnection({ host: server.host, port: server.port });
  try {
    await new Promise<void>((resolve, reject) => {
      let got = Buffer.alloc(0);
      socket.on('error', reject);
      socket.on('close', () => reject(new Error(`the broker closed the connection (got ${got.toString('hex')})`)));
      socket.on('connect', () => socket.write(connect));
      socket.on('data', (b: Buffer) => {
        got = Buffer.concat([got, b]);
        if (got.length >= 4 && got[0] === 0x20) {
          if (got[3] !== 0) reject(new Error(`CONNACK return code ${got[3]}`));
          socket.write(publish);
          got = got.subarray(4);
        }
        if (got.length >= 4 && got[0] === 0x40) {
          socket.write(Buffer.from([0xe0, 0])); // DISCONNECT
          resolve();
        }
      });
    });
  } finally {
    socket.destroy();
  }
}
