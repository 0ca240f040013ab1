import { renameRemote } from '../../remotes/index.js';
import { retargetCloudRemotes } from '../../sync/index.js';
import { ExitCode, UsageError } from '../../util/index.js';
import type { Command } from '../command.js';
import { jsonOption } from '../command.js';
import { withAnnex } from '../open.js';
import { reportConfigured } from '../output/remote-config.js';

export const command: Command = {
  name: 'renameremote',
  summary: 'change the name a special remote is enabled by',
  usage: 'NAME|UUID|DESCRIPTION NEWNAME',
  description: [
    "Changes the name remote.log keeps for 'enableremote', as git-annex's renameremote does; a clone",
    'where the remote is enabled keeps using it under its old local name (rename that with git remote rename).',
    'git remotes with URL ferry::OLD are pointed at ferry::NEW (git-annex\'s renameremote leaves them stale).',
  ].join('\n'),
  options: [jsonOption],
  async run({ positional }, { out, cwd }) {
    if (positional.length !== 2) throw new UsageError('Specify the remote and its new name.', 'ferry renameremote OLD NEW');
    const [name, newName] = positional as [string, string];
    return withAnnex(cwd, async (annex) => {
      const renamed = await renameRemote(annex, name, newName);
      const retargeted = await retargetCloudRemotes(annex, name, newName);
      reportConfigured(out, 'renameremote', positional, renamed);
      for (const remote of retargeted) out.warn(`  git remote ${remote} now has URL ferry::${newName}`);
      return ExitCode.ok;
    });
  },
};
