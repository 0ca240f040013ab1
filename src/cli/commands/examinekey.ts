import { formatPointer, hashDirLower, hashDirMixed, keyFile, parseKeyOrThrow } from '../../annex/index.js';
import { UsageError, formatSizeShort } from '../../util/index.js';
import type { Command } from '../command.js';
import { jsonOption } from '../command.js';

export const command: Command = {
  name: 'examinekey',
  summary: 'print facts about a key: backend, size, hash directories, object path',
  usage: 'KEY ...',
  description: 'With --format, ${var} is replaced by key, backend, bytesize, humansize, keyname, hashdirlower,\nhashdirmixed, mtime, objectpath, objectpointer; \\n and \\t are expanded.',
  options: [jsonOption, { name: 'format', kind: 'string', value: 'FORMAT', help: 'output format (default ${key}\\n)' }],
  run({ positional, options }, { out }) {
    if (positional.length === 0) return Promise.reject(new UsageError('ferry examinekey: which key?'));
    for (const text of positional) {
      const key = parseKeyOrThrow(text);
      const vars: Record<string, string> = {
        key: text,
        backend: key.backend,
        bytesize: key.size === undefined ? 'unknown' : String(key.size),
        humansize: key.size === undefined ? 'unknown' : formatSizeShort(key.size),
        keyname: key.name,
        hashdirlower: `${hashDirLower(text)}/`,
        hashdirmixed: `${hashDirMixed(text)}/`,
        mtime: key.mtime === undefined ? 'unknown' : String(key.mtime),
        objectpath: `.git/annex/objects/${hashDirMixed(text)}/${keyFile(text)}/${keyFile(text)}`,
        objectpointer: formatPointer(text),
      };
      if (out.json) {
        out.record({ ...vars, 'error-messages': [] });
        continue;
      }
      const format = (options.get('format') as string | undefined) ?? '${key}\\n';
      out.write(format.replace(/\$\{(\w+)\}/g, (m, v: string) => vars[v] ?? m).replace(/\\n/g, '\n').replace(/\\t/g, '\t'));
    }
    return Promise.resolve();
  },
};
