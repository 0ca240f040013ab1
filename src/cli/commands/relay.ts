import { readFile } from 'node:fs/promises';
import { LIMIT_FLAGS, RelayConfigError, limitsFromFlags, parseListen, startRelay } from '../../relay/index.js';
import { ExitCode, fileSystemError } from '../../util/index.js';
import type { Command } from '../command.js';

export const command: Command = {
  name: 'relay',
  summary: 'run a relay that passes sealed change notices between machines (the notifier relay=ws://HOST:PORT)',
  usage: '[--listen HOST:PORT] [--cert FILE --key FILE]',
  description: [
    'Serves WebSocket pub/sub of sealed notices on ws://HOST:PORT/v1 (wss:// with --cert/--key), plus',
    'GET /healthz and Prometheus GET /metrics. It sees only channel ids and opaque bytes, stores nothing on',
    'disk, and keeps the last few notices per channel in memory for machines that connect later.',
    'Logs are JSON lines on stderr; the first names the address and port. SIGTERM or SIGINT stops it.',
    'See docs/notify.md "relay".',
  ].join('\n'),
  options: [
    { name: 'listen', kind: 'string', value: 'HOST:PORT', help: 'address to listen on (default 0.0.0.0:7080; port 0: any free port)' },
    { name: 'cert', kind: 'string', value: 'FILE', help: 'TLS certificate chain (PEM); with --key, serve wss://' },
    { name: 'key', kind: 'string', value: 'FILE', help: 'TLS private key (PEM)' },
    ...LIMIT_FLAGS.map((f) => ({ name: f.flag, kind: 'number' as const, help: f.help })),
  ],
  async run({ options, positional }, { out }) {
    if (positional.length > 0) throw new RelayConfigError(`ferry relay: unexpected argument '${positional[0]}'`);
    const { host, port } = parseListen((options.get('listen') as string | undefined) ?? ':7080');
    const limits = limitsFromFlags((flag) => options.get(flag) as number | undefined);
    const certPath = options.get('cert') as string | undefined;
    const keyPath = options.get('key') as string | undefined;
    if ((certPath === undefined) !== (keyPath === undefined)) throw new RelayConfigError('ferry relay: --cert and --key go together');
    const tls = certPath !== undefined && keyPath !== undefined ? { cert: await readPem(certPath), key: await readPem(keyPath) } : undefined;
    const log = (event: Record<string, unknown>) => out.warn(JSON.stringify({ time: new Date().toISOString(), ...event }));
    const relay = await startRelay({ host, port, tls, limits, log });
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGTERM', () => resolve('SIGTERM'));
      process.once('SIGINT', () => resolve('SIGINT'));
    });
    log({ level: 'info', msg: 'shutting down', signal });
    await relay.close();
    return ExitCode.ok;
  },
};

async function readPem(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw fileSystemError(err, 'read', path);
  }
}
