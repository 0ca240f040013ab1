import { openRemotes } from '../../remotes/index.js';
import { autoItems, dropItems, dropPolicy, loadTransferPolicy } from '../../sync/index.js';
import type { Command } from '../command.js';
import { withAnnex } from '../open.js';
import { TransferReport } from '../output/transfer-report.js';
import { autoOption, namedRemote, selectFromArgs, transferOptions } from '../transfer-args.js';

export const command: Command = {
  name: 'drop',
  summary: 'remove content from this repository (or --from another), keeping enough copies',
  usage: '[PATH ...]',
  description: [
    'Drops content only when enough other copies are proven to exist now (numcopies; mincopies of them',
    'verified, locked against removal for as long as the drop takes, with git-annex\'s own locks). Trusted',
    'repositories count on the location log\'s word. --force skips the proof: the last copy can be lost.',
  ].join('\n'),
  options: [
    ...transferOptions.filter((o) => o.name !== 'json-progress'),
    autoOption,
    { name: 'from', kind: 'string', value: 'REMOTE', help: 'drop from this remote instead of from here' },
    { name: 'force', kind: 'boolean', help: 'drop without proving other copies exist (can lose the last copy)' },
    { name: 'numcopies', kind: 'number', short: 'N', help: 'copies required, instead of the configured numcopies' },
    { name: 'mincopies', kind: 'number', help: 'verified copies required, instead of the configured mincopies' },
  ],
  async run(args, { out, cwd }) {
    return withAnnex(cwd, async (annex) => {
      const selected = await selectFromArgs(annex, args, cwd, out);
      const { paths, unmatched } = selected;
      const opened = await openRemotes(annex);
      const policy = await loadTransferPolicy(annex, {
        numcopies: args.options.get('numcopies') as number | undefined,
        mincopies: args.options.get('mincopies') as number | undefined,
      });
      try {
        const fromName = args.options.get('from') as string | undefined;
        const from = fromName === undefined ? undefined : namedRemote(opened, fromName);
        const items = args.options.get('auto') === true
          ? await autoItems(annex, policy, selected.items, { kind: 'drop', from: from?.uuid ?? annex.uuid }) : selected.items;
        const force = args.options.get('force') === true;
        if (force) out.warn('ferry: --force: not checking that other copies exist; the last copy of a file can be lost');
        const report = new TransferReport(out, annex, { command: from ? `drop ${from.name}` : 'drop', args: args.positional, paths, jsonProgress: false });
        await dropItems(annex, opened.remotes, items, dropPolicy(policy), report, { from, force, suggestMove: !from });
        report.failed += unmatched;
        return report.finish();
      } finally {
        policy.close();
        opened.close();
      }
    });
  },
};
