import { loadUnusedList, parseKey } from '../../annex/index.js';
import { openRemotes } from '../../remotes/index.js';
import { dropItems, dropPolicy, loadTransferPolicy } from '../../sync/index.js';
import type { TransferItem } from '../../sync/index.js';
import { ExitCode, UsageError } from '../../util/index.js';
import type { Command } from '../command.js';
import { withAnnex } from '../open.js';
import { noteLayout } from '../output/transfer-report.js';

/** "3", "2-5", "all" → numbers from the unused list. */
function numbersOf(args: readonly string[], max: number): number[] {
  const out = new Set<number>();
  for (const a of args) {
    if (a === 'all') for (let n = 1; n <= max; n++) out.add(n);
    else {
      const m = /^(\d+)(?:-(\d+))?$/.exec(a);
      if (!m) throw new UsageError(`ferry dropunused: expected a number, a range like 2-5, or all; got '${a}'`);
      for (let n = Number(m[1]); n <= Number(m[2] ?? m[1]); n++) out.add(n);
    }
  }
  return [...out].sort((a, b) => a - b);
}

export const command: Command = {
  name: 'dropunused',
  summary: 'drop content that `ferry unused` listed, keeping enough copies',
  usage: 'NUMBER|RANGE|all ...',
  options: [{ name: 'force', kind: 'boolean', help: 'drop without proving other copies exist (can lose the last copy)' }],
  async run({ positional, options }, { out, cwd }) {
    if (positional.length === 0) throw new UsageError('ferry dropunused: which? (numbers from `ferry unused`, a range, or all)');
    return withAnnex(cwd, async (annex) => {
      const list = await loadUnusedList(annex);
      const numbers = numbersOf(positional, Math.max(0, ...list.keys()));
      const items: (TransferItem & { n: number })[] = [];
      for (const n of numbers) {
        const key = list.get(n);
        if (key === undefined) throw new UsageError(`ferry dropunused: ${n} is not in the list of unused content`, "run 'ferry unused' first");
        items.push({ key, size: parseKey(key)?.size, n });
      }
      const opened = await openRemotes(annex);
      const policy = await loadTransferPolicy(annex);
      let failed = 0;
      try {
        await dropItems(annex, opened.remotes, items, dropPolicy(policy), {
          done(r) {
            const n = (r.item as { n?: number }).n;
            const { suffix, lines } = noteLayout(r);
            out.line(`dropunused ${n}${suffix} ${r.ok ? 'ok' : ''}`.trimEnd());
            if (!r.ok) {
              failed++;
              for (const l of lines) out.line(l ? `  ${l}` : '');
              out.line('failed');
            }
          },
        }, { force: options.get('force') === true, suggestMove: true });
      } finally {
        policy.close();
        opened.close();
      }
      return failed > 0 ? ExitCode.failed : ExitCode.ok;
    });
  },
};
