import { runDemo } from '../../assistant/index.js';
import { startRelay } from '../../relay/index.js';
import type { Command } from '../command.js';

export const command: Command = {
  name: 'demo',
  summary: 'see two folders kept in sync through a cloud, on this machine, with nothing to set up',
  usage: '[--once] [--keep]',
  description: [
    'In a temp folder: a folder standing in for the cloud, a relay, Alice\'s repository (ferry cloud create) and',
    'Bob\'s (ferry join), each with its assistant. Alice writes files; the demo shows them arriving on Bob\'s side',
    'with the measured delay, and the status page URLs. In a terminal it then stays up until Ctrl-C so you can',
    'edit files on either side and watch the other. With --once, or when stdin is not a terminal, it exits after',
    'the round trip: 0 when Bob\'s files hash to Alice\'s within 60 s, 1 (naming what is missing) otherwise.',
    'No server, account or network is needed.',
  ].join('\n'),
  options: [
    { name: 'once', kind: 'boolean', help: 'exit after the round trip (the default when stdin is not a terminal)' },
    { name: 'keep', kind: 'boolean', help: 'leave the temp folder in place afterwards' },
  ],
  async run({ options }, { out }) {
    const once = options.get('once') === true || process.stdin.isTTY !== true;
    const interrupted = new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    return runDemo({
      once,
      keep: options.get('keep') === true,
      say: (line) => out.line(line),
      interrupted,
      startRelay: async () => {
        const relay = await startRelay({ host: '127.0.0.1', port: 0 });
        return { url: relay.url, close: () => relay.close() };
      },
    });
  },
};
