import { formatKey, keyForFile } from '../../annex/index.js';
import { UsageError } from '../../util/index.js';
import type { Command } from '../command.js';
import { resolve, basename } from 'node:path';

export const command: Command = {
  name: 'calckey',
  summary: 'print the key a file would have (no repository needed)',
  usage: 'FILE ...',
  options: [{ name: 'backend', kind: 'string', value: 'NAME', help: 'key backend (default SHA256E)' }],
  async run({ positional, options }, { out, cwd }) {
    if (positional.length === 0) throw new UsageError('ferry calckey: which file?');
    for (const file of positional) {
      const hashed = await keyForFile(resolve(cwd, file), basename(file), (options.get('backend') as string | undefined) ?? 'SHA256E');
      out.write(`${formatKey(hashed.key)}\n`);
    }
  },
};
