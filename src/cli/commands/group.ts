import { changeGroup, repositoryGroups } from '../../annex/index.js';
import type { Command } from '../command.js';
import { jsonOption } from '../command.js';
import { withAnnex } from '../open.js';
import { applyChanges, loadRepositories, requireArgs, resolveRepository, showValue } from '../setting-commands.js';

export const command: Command = {
  name: 'group',
  summary: 'add a repository to a group, or list its groups',
  usage: 'REPO [GROUP]',
  description: [
    'With REPO alone, prints its groups, separated by spaces. With a GROUP, adds REPO to it. The standard',
    'groups (client, transfer, backup, incrementalbackup, smallarchive, archive, source, manual, public,',
    'unwanted) give `ferry wanted REPO standard` its meaning. A group name has no white space.',
  ].join('\n'),
  options: [jsonOption],
  async run({ positional }, { out, cwd }) {
    requireArgs(positional, (n) => n === 1 || n === 2, 'Specify a repository and a group.', 'group REPO [GROUP]');
    const [repo, group] = positional as [string, string | undefined];
    return withAnnex(cwd, async (annex) => {
      const repos = await loadRepositories(annex);
      if (group === undefined) {
        const uuid = await resolveRepository(annex, repos, repo);
        const groups = await repositoryGroups(annex, uuid);
        return showValue(out, 'group', positional, groups.join(' '), { uuid, groups });
      }
      return applyChanges(annex, out, 'group', [{
        label: repo, input: positional, fields: { group },
        apply: async () => changeGroup(annex, await resolveRepository(annex, repos, repo), group),
      }]);
    });
  },
};
