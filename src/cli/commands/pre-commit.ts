import { fixStagedLinks } from '../../annex/index.js';
import type { Command } from '../command.js';
import { withAnnex } from '../open.js';

export const command: Command = {
  name: 'pre-commit',
  summary: 'git pre-commit hook: fix the links of locked files that moved',
  usage: '[PATH]',
  options: [],
  async run(_args, { cwd }) {
    return withAnnex(cwd, async (annex) => {
      await fixStagedLinks(annex);
    });
  },
};
