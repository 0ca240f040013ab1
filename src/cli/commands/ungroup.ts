import { changeGroup } from '../../annex/index.js';
import type { Command } from '../command.js';
import { jsonOption } from '../command.js';
import { withAnnex } from '../open.js';
import { applyChanges, loadRepositories, requireArgs, resolveRepository } from '../setting-commands.js';

export const command: Command = {
  name: 'ungroup',
  summary: 'remove a repository from a group',
  usage: 'REPO GROUP',
  options: [jsonOption],
  async run({ positional }, { out, cwd }) {
    requireArgs(positional, (n) => n === 2, 'Specify a repository and a group.', 'ungroup REPO GROUP');
    const [repo, group] = positional as [string, string];
    return withAnnex(cwd, async (annex) => {
      const repos = await loadRepositories(annex);
      return applyChanges(annex, out, 'ungroup', [{
        label: repo, input: positional, fields: { group },
        apply: async () => changeGroup(annex, await resolveRepository(annex, repos, repo), group, true),
      }]);
    });
  },
};
