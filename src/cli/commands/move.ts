import { openRemotes } from '../../remotes/index.js';
import { dropItems, dropPolicy, getItems, loadTransferPolicy, sendItems } from '../../sync/index.js';
import type { TransferResult } from '../../sync/index.js';
import type { Command } from '../command.js';
import { withAnnex } from '../open.js';
import { TransferReport } from '../output/transfer-report.js';
import { namedRemote, selectFromArgs, transferOptions } from '../transfer-args.js';
import { direction } from './copy.js';

export const command: Command = {
  name: 'move',
  summary: 'move content to or from another repository',
  usage: '--to=REMOTE|--from=REMOTE [PATH ...]',
  description: [
    'Copies the content, then drops it from where it came from, with the same proof of copies as drop',
    '(the copy just made counts, locked until the drop is done).',
  ].join('\n'),
  options: [
    ...transferOptions,
    { name: 'to', kind: 'string', value: 'REMOTE', help: 'move to this remote' },
    { name: 'from', kind: 'string', value: 'REMOTE', help: 'move from this remote' },
    { name: 'force', kind: 'boolean', help: 'drop without proving other copies exist (can lose the last copy)' },
  ],
  async run(args, { out, cwd }) {
    const dir = direction(args, 'move');
    return withAnnex(cwd, async (annex) => {
      const { items, paths, unmatched } = await selectFromArgs(annex, args, cwd, out);
      const opened = await openRemotes(annex);
      const policy = await loadTransferPolicy(annex);
      try {
        const remote = namedRemote(opened, (dir.to ?? dir.from)!);
        const report = new TransferReport(out, annex, { command: 'move', args: args.positional, paths, jsonProgress: args.options.get('json-progress') === true });
        const force = args.options.get('force') === true;
        // The copy step reports only failures; each item's outcome is reported once, after its drop.
        const notes = new Map<string, string>();
        const copyFailed = new Set<string>();
        const copyEvents = {
          start: report.start.bind(report),
          progress: report.progress.bind(report),
          done(r: TransferResult) {
            if (!r.ok) {
              copyFailed.add(r.item.key);
              report.done(r);
            } else if (r.note) notes.set(r.item.key, r.note);
          },
        };
        if (dir.to !== undefined) await sendItems(annex, remote, items, copyEvents, { jobs: args.options.get('jobs') as number | undefined });
        else await getItems(annex, opened.remotes, items, copyEvents, { from: remote, jobs: args.options.get('jobs') as number | undefined });
        await dropItems(annex, opened.remotes, items.filter((i) => !copyFailed.has(i.key)), dropPolicy(policy), {
          done: (r) => report.done({ ...r, note: r.ok ? notes.get(r.item.key) : r.note }),
        }, { from: dir.from !== undefined ? remote : undefined, force });
        report.failed += unmatched;
        return report.finish();
      } finally {
        policy.close();
        opened.close();
      }
    });
  },
};
