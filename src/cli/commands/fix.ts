import { fixPaths } from '../../annex/index.js';
import type { Command } from '../command.js';
import { jsonOption } from '../command.js';
import { withAnnex, repoPaths } from '../open.js';

export const command: Command = {
  name: 'fix',
  summary: 'fix the symlinks of locked files that were moved',
  usage: '[PATH ...]',
  options: [jsonOption],
  async run({ positional }, { out, cwd }) {
    return withAnnex(cwd, async (annex) => {
      const fixed = await fixPaths(annex, repoPaths(annex, positional, cwd));
      for (const path of fixed) {
        const file = annex.repo.displayPath(path);
        out.line(`fix ${file} ok`);
        out.record({ command: 'fix', file, success: true, input: [...positional], 'error-messages': [] });
      }
    });
  },
};
