import { Filter, populateSmudged } from '../../annex/index.js';
import { UsageError } from '../../util/index.js';
import type { Command } from '../command.js';
import { withAnnex } from '../open.js';

async function* stdinChunks(): AsyncIterable<Buffer> {
  for await (const chunk of process.stdin) yield chunk as Buffer;
}

export const command: Command = {
  name: 'smudge',
  summary: 'the per-file clean/smudge filter, and --update to fill in unlocked files after a checkout',
  usage: '[--clean] -- FILE | --update',
  options: [
    { name: 'clean', kind: 'boolean', help: 'clean FILE: content on stdin, pointer (or the content) on stdout' },
    { name: 'update', kind: 'boolean', help: 'put present content into unlocked files git checked out as pointers' },
  ],
  async run({ options, positional }, { out, cwd }) {
    return withAnnex(cwd, async (annex) => {
      if (options.get('update') === true) {
        await populateSmudged(annex);
        return;
      }
      const file = positional[0];
      if (file === undefined) throw new UsageError('ferry smudge: which file? (git passes it as %f)');
      const path = annex.repo.repoPath(file, cwd);
      const filter = new Filter(annex);
      try {
        if (options.get('clean') === true) {
          const result = await filter.clean(path, stdinChunks());
          if ('pointer' in result) out.write(result.pointer);
          else {
            for await (const b of result.passthrough) process.stdout.write(b);
            await result.dispose();
          }
        } else {
          const chunks: Buffer[] = [];
          for await (const b of stdinChunks()) chunks.push(b);
          const blob = Buffer.concat(chunks);
          await filter.smudge(path, blob);
          process.stdout.write(blob);
        }
      } finally {
        filter.close();
      }
    });
  },
};
