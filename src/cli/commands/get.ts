import { openRemotes } from '../../remotes/index.js';
import { getItems } from '../../sync/index.js';
import type { Command } from '../command.js';
import { withAnnex } from '../open.js';
import { TransferReport } from '../output/transfer-report.js';
import { autoFilter, autoOption, namedRemote, selectFromArgs, transferOptions } from '../transfer-args.js';

export const command: Command = {
  name: 'get',
  summary: 'get the content of files from other repositories',
  usage: '[PATH ...]',
  description: [
    'Fetches content that is not here from the cheapest reachable repository the location log names (or',
    'the one --from names). Every byte is checked against the file\'s key before it is kept; an interrupted',
    'get leaves a partial file that the next get resumes. annex.diskreserve is kept free.',
  ].join('\n'),
  options: [...transferOptions, autoOption, { name: 'from', kind: 'string', value: 'REMOTE', help: 'get only from this remote' }],
  async run(args, { out, cwd }) {
    return withAnnex(cwd, async (annex) => {
      const selected = await selectFromArgs(annex, args, cwd, out);
      const { paths, unmatched } = selected;
      const items = await autoFilter(annex, args, selected.items, { kind: 'get' });
      const opened = await openRemotes(annex);
      try {
        const fromName = args.options.get('from') as string | undefined;
        const from = fromName === undefined ? undefined : namedRemote(opened, fromName);
        const report = new TransferReport(out, annex, { command: 'get', args: args.positional, paths, jsonProgress: args.options.get('json-progress') === true });
        await getItems(annex, opened.remotes, items, report, { from, jobs: args.options.get('jobs') as number | undefined });
        report.failed += unmatched;
        return report.finish();
      } finally {
        opened.close();
      }
    });
  },
};
