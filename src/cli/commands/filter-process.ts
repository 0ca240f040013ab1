import { runFilterProcess } from '../../annex/index.js';
import type { Command } from '../command.js';
import { withAnnex } from '../open.js';

export const command: Command = {
  name: 'filter-process',
  summary: 'the long-running clean/smudge filter git runs (filter.annex.process)',
  usage: '',
  options: [],
  async run(_args, { cwd }) {
    return withAnnex(cwd, async (annex) => {
      await runFilterProcess(annex, process.stdin, process.stdout);
    });
  },
};
