import { openRemotes } from '../../remotes/index.js';
import type { Remote } from '../../remotes/index.js';
import { getItems, sendItems } from '../../sync/index.js';
import { UsageError } from '../../util/index.js';
import type { ParsedArgs } from '../args.js';
import type { Command } from '../command.js';
import { withAnnex } from '../open.js';
import { TransferReport } from '../output/transfer-report.js';
import { autoFilter, autoOption, namedRemote, selectFromArgs, transferOptions } from '../transfer-args.js';

/** --to or --from, exactly one. */
export function direction(args: ParsedArgs, command: string): { to?: string; from?: string } {
  const to = args.options.get('to') as string | undefined;
  const from = args.options.get('from') as string | undefined;
  if ((to === undefined) === (from === undefined)) throw new UsageError(`ferry ${command}: give --to=REMOTE or --from=REMOTE`);
  return { to, from };
}

export const command: Command = {
  name: 'copy',
  summary: 'copy content to or from another repository',
  usage: '--to=REMOTE|--from=REMOTE [PATH ...]',
  description: 'With --to, sends content that is here and not there; with --from, gets content that is there and not here.',
  options: [
    ...transferOptions,
    autoOption,
    { name: 'to', kind: 'string', value: 'REMOTE', help: 'send to this remote' },
    { name: 'from', kind: 'string', value: 'REMOTE', help: 'get from this remote' },
  ],
  async run(args, { out, cwd }) {
    const dir = direction(args, 'copy');
    return withAnnex(cwd, async (annex) => {
      const selected = await selectFromArgs(annex, args, cwd, out);
      const { paths, unmatched } = selected;
      const opened = await openRemotes(annex);
      try {
        const remote: Remote = namedRemote(opened, (dir.to ?? dir.from)!);
        const items = await autoFilter(annex, args, selected.items, dir.to !== undefined ? { kind: 'send', to: remote.uuid } : { kind: 'get' });
        const report = new TransferReport(out, annex, { command: 'copy', args: args.positional, paths, jsonProgress: args.options.get('json-progress') === true });
        if (dir.to !== undefined) await sendItems(annex, remote, items, report, { jobs: args.options.get('jobs') as number | undefined });
        else await getItems(annex, opened.remotes, items, report, { from: remote, jobs: args.options.get('jobs') as number | undefined });
        report.failed += unmatched;
        return report.finish();
      } finally {
        opened.close();
      }
    });
  },
};
