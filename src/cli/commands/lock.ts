import { lockFiles } from '../../annex/index.js';
import { ExitCode } from '../../util/index.js';
import type { Command } from '../command.js';
import { jsonOption } from '../command.js';
import { withAnnex, repoPaths } from '../open.js';
import { reportLockResult } from '../output/lock-results.js';

export const command: Command = {
  name: 'lock',
  summary: 'make unlocked files locked again (read-only symlinks into the annex)',
  usage: '[PATH ...]',
  options: [jsonOption],
  async run({ positional }, { out, cwd }) {
    return withAnnex(cwd, async (annex) => {
      const results = await lockFiles(annex, repoPaths(annex, positional, cwd), (r) => reportLockResult(out, annex, 'lock', positional, r));
      return results.every((r) => r.ok) ? ExitCode.ok : ExitCode.failed;
    });
  },
};
