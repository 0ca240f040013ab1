import { describeRepository } from '../../annex/index.js';
import type { Command } from '../command.js';
import { jsonOption } from '../command.js';
import { withAnnex } from '../open.js';
import { applyChanges, loadRepositories, requireArgs, resolveRepository } from '../setting-commands.js';

export const command: Command = {
  name: 'describe',
  summary: 'change the description of a repository',
  usage: 'REPO DESCRIPTION ...',
  description: 'Sets the description whereis, info and the other commands show for REPO; the words are joined with spaces.',
  options: [jsonOption],
  async run({ positional }, { out, cwd }) {
    requireArgs(positional, (n) => n >= 2, 'Specify a repository and a description.', 'describe REPO DESCRIPTION');
    const [repo, ...words] = positional as [string, ...string[]];
    // git-annex joins the words (unwords): `describe here my laptop` is "my laptop".
    const description = words.join(' ');
    return withAnnex(cwd, async (annex) => {
      const repos = await loadRepositories(annex);
      return applyChanges(annex, out, 'describe', [{
        label: repo, input: positional, fields: { description },
        apply: async () => describeRepository(annex, await resolveRepository(annex, repos, repo), description),
      }]);
    });
  },
};
