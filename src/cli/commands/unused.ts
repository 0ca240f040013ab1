import { findUnused, saveUnusedList } from '../../annex/index.js';
import type { Command } from '../command.js';
import { withAnnex } from '../open.js';

export const command: Command = {
  name: 'unused',
  summary: 'list content here that no branch, tag or the index uses',
  usage: '',
  description: 'Numbers the unused content for `ferry dropunused`. annex.used-refspec (or --used-refspec) narrows the refs that count.',
  options: [{ name: 'used-refspec', kind: 'string', value: '+REF:-REF', help: 'which refs count as using content (default: all)' }],
  async run({ options }, { out, cwd }) {
    return withAnnex(cwd, async (annex) => {
      const keys = await findUnused(annex, (options.get('used-refspec') as string | undefined) ?? annex.repo.config.get('annex.used-refspec'));
      await saveUnusedList(annex, keys);
      if (keys.length === 0) {
        out.line('unused . (checking for unused data...) ok');
        return;
      }
      const width = Math.max('NUMBER'.length, String(keys.length).length);
      out.line('unused . (checking for unused data...) ');
      out.line('  Some annexed data is no longer used by any files:');
      out.line(`    ${'NUMBER'.padEnd(width)}  KEY`);
      keys.forEach((k, i) => out.line(`    ${String(i + 1).padEnd(width)}  ${k}`));
      out.line('');
      out.line('  To remove unwanted data: ferry dropunused NUMBER');
      out.line('');
      out.line('ok');
    });
  },
};
