// The servers of the notify benchmark, each a child process on loopback with an OS-assigned port and a temp
// config: `ferry relay` (this build's dist/app/ferry.mjs), mosquitto and prosody (Debian packages). Started
// here rather than by test/servers, which follow the test runner's life cycle; the free port and prosody's
// config come from there. Servers
// and client processes start with the soft open-file limit raised to the hard one (the fan-out needs 10,000
// sockets in one process); /proc/PID/limits says what they got. /proc/PID/stat and status give CPU and RSS.
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { freePort } from '../test/servers/free-port.js';
import { prosodyConfig } from '../test/servers/prosody.js';
import { distBin } from './lib.js';

const READY_MS = 20_000;
const KILL_GRACE_MS = 5_000;
const MOSQUITTO = '/usr/sbin/mosquitto';
export const ferryApp = join(distBin, '..', 'app', 'ferry.mjs');

export interface ServerProcess {
  readonly name: string;
  readonly pid: number;
  readonly port: number;
  /** What clients connect to: ws://127.0.0.1:PORT/v1, mqtt://127.0.0.1:PORT or xmpp://127.0.0.1:PORT. */
  readonly url: string;
  /** SIGTERM, SIGKILL after a grace period; resolves once it has exited. */
  stop(): Promise<void>;
}

/** `cmd` run through sh with the soft limit on open files raised to the hard limit. */
export function withRaisedLimit(cmd: readonly string[]): string[] {
  return ['sh', '-c', 'ulimit -n "$(ulimit -Hn)" && exec "$@"', 'sh', ...cmd];
}

/** CPU seconds (user + system) and resident memory of a live process, from /proc. */
export function procUsage(pid: number): { cpuSeconds: number; rssBytes: number; peakBytes: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces), from field 3: utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { cpuSeconds: ticks / clockTicks(), rssBytes: kib('VmRSS'), peakBytes: kib('VmHWM') };
}

let ticksPerSecond: number | undefined;
function clockTicks(): number {
  // USER_HZ: 100 on every Linux architecture node runs on; getconf says for sure where it is installed.
  return (ticksPerSecond ??= 100);
}

export async function readClockTicks(): Promise<void> {
  const out = await promisify(execFile)('getconf', ['CLK_TCK']).catch(() => undefined);
  const n = Number(out?.stdout.trim());
  if (Number.isInteger(n) && n > 0) ticksPerSecond = n;
}

/** "soft/hard" open files of a live process, from /proc/PID/limits. */
export function openFileLimit(pid: number): string {
  const line = readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
  const [soft, hard] = line?.replace('Max open files', '').trim().split(/\s+/) ?? [];
  return `${soft ?? '?'}/${hard ?? '?'}`;
}

/**
 * Spawns `cmd` and waits until `readyLine` (matched against stdout and stderr lines) gives its port, or a
 * number; every line is drained (a full pipe would stall the server) and the last ones kept for errors.
 */
function launch(name: string, cmd: readonly string[], env: NodeJS.ProcessEnv, readyLine: (line: string) => number | undefined,
  url: (port: number) => string): Promise<ServerProcess> {
  const [file, ...args] = withRaisedLimit(cmd) as [string, ...string[]];
  const child: ChildProcess = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const tail: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} was not ready within ${READY_MS / 1000} s: ${tail.join(' | ')}`));
    }, READY_MS);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code ?? signal}) before it was ready: ${tail.join(' | ')}`));
    });
    child.once('error', reject);
    const onLine = (line: string) => {
      tail.push(line);
      if (tail.length > 20) tail.shift();
      const port = readyLine(line);
      if (port === undefined) return;
      clearTimeout(timer);
      resolve({ name, pid: child.pid ?? -1, port, url: url(port), stop: () => stopChild(child) });
    };
    if (child.stdout) createInterface({ input: child.stdout }).on('line', onLine);
    if (child.stderr) createInterface({ input: child.stderr }).on('line', onLine);
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

/** `ferry relay --listen 127.0.0.1:0 ...args`; ready when its first JSON log line names the port. */
export function startRelayServer(env: NodeJS.ProcessEnv, args: readonly string[] = []): Promise<ServerProcess> {
  return launch('ferry relay', [process.execPath, ferryApp, 'relay', '--listen', '127.0.0.1:0', ...args], env, (line) => {
    try {
      const event = JSON.parse(line) as { msg?: unknown; port?: unknown };
      return event.msg === 'listening' && typeof event.port === 'number' ? event.port : undefined;
    } catch {
      return undefined;
    }
  }, (port) => `ws://127.0.0.1:${port}/v1`);
}

/**
 * mosquitto with a config in `dir`: loopback listener, anonymous, no connection limit, no persistence (each
 * run starts empty), as root when we are root (otherwise it switches to the user mosquitto).
 */
export async function startMosquitto(dir: string, env: NodeJS.ProcessEnv): Promise<ServerProcess> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const config = join(dir, `mosquitto-${port}.conf`);
    await writeFile(config, [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'max_connections -1',
      'persistence false',
      ...(process.getuid?.() === 0 ? ['user root'] : []),
      'log_dest stderr',
      'log_type error', 'log_type warning', 'log_type notice', 'log_type information',
      'connection_messages false', // 10,000 connects would be 20,000 log lines
      '',
    ].join('\n'));
    try {
      return await launch('mosquitto', [MOSQUITTO, '-c', config], env,
        (line) => (/mosquitto version \S+ running/.test(line) ? port : undefined), (p) => `mqtt://127.0.0.1:${p}`);
    } catch (err) {
      if (attempt >= 3 || !/Address already in use/.test(String(err))) throw err;
    }
  }
}

/** prosody with a config in `dir`: c2s on loopback, plain SASL allowed without TLS, one VirtualHost "localhost". */
export async function startProsody(dir: string, env: NodeJS.ProcessEnv): Promise<ServerProcess & { register(user: string, password: string): Promise<void> }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const config = join(dir, 'prosody.cfg.lua');
    await writeFile(config, prosodyConfig(dir, port, false));
    try {
      const server = await launch('prosody', ['prosody', '--config', config, '-F'], env,
        (line) => (line.includes(`Activated service 'c2s' on [127.0.0.1]:${port}`) ? port : undefined), (p) => `xmpp://127.0.0.1:${p}`);
      return {
        ...server,
        register: async (user, password) => {
          await promisify(execFile)('prosodyctl', ['--config', config, 'register', user, 'localhost', password], { env, timeout: READY_MS });
        },
      };
    } catch (err) {
      if (attempt >= 3 || !/Failed to open server port|Address already in use/.test(String(err))) throw err;
    }
  }
}
