import { runFilterProcess } from '../../annex/index.js';
import type { Command } from '../command.js';
import { openAnnex } from '../open.js';

export const command: Command = {
  name: 'filter-process',
  summary: 'the long-running clean/smudge filter git runs (filter.annex.process)',
  usage: '',
  options: [],
  async run(_args, { cwd }) {
    const annex = await openAnnex(cwd);
    try {
      await runFilterProcess(annex, process.stdin, process.stdout);
    } finally {
      annex.close();
    }
  },
};
