import { fixStagedLinks } from '../../annex/index.js';
import type { Command } from '../command.js';
import { openAnnex } from '../open.js';

export const command: Command = {
  name: 'pre-commit',
  summary: 'git pre-commit hook: fix the links of locked files that moved',
  usage: '[PATH]',
  options: [],
  async run(_args, { cwd }) {
    const annex = await openAnnex(cwd);
    try {
      await fixStagedLinks(annex);
    } finally {
      annex.close();
    }
  },
};
