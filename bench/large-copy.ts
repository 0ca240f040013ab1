// What copy-large-file and special-directory share for one large file: the physical limit a copy is held
// to, `cp` of the same bytes followed by `sync -f` of the copy (ferry's copy is durable before it is
// logged, so the reference is made durable too), and the report of ferry's copy against it.
import { join } from 'node:path';
import { formatMs, formatRatio, median, sampleRows, table, target, timeSteps } from './lib.js';
import type { Contender, ReportInput, Target, Workspace } from './lib.js';

const MiB = 2 ** 20;

export interface CpTrial {
  readonly tool: 'cp';
  readonly dir: string;
}

export const CP_SYNC = 'cp + sync -f';

/** `cp big.bin copy.bin && sync -f copy.bin` in a fresh directory that `fill` wrote big.bin into. */
export function cpSyncContender(ws: Workspace, fill: (dir: string) => void): Contender<CpTrial> {
  return {
    name: CP_SYNC,
    async prepare() {
      const dir = await ws.dir('cp');
      fill(dir);
      return { tool: 'cp', dir };
    },
    measure: ({ dir }) => timeSteps([['cp', join(dir, 'big.bin'), join(dir, 'copy.bin')], ['sync', '-f', join(dir, 'copy.bin')]], { cwd: dir, env: ws.env }),
    finish: ({ dir }) => ws.remove(dir),
  };
}

/** `ratio`: what ferry / (cp + sync -f) must stay within; samples: 'ferry copy', CP_SYNC, 'git annex copy'. */
export interface LargeCopyReport extends ReportInput {
  readonly size: number;
}

/** Prints the medians with throughput and the ratios, and returns the target. */
export function reportLargeCopy(r: LargeCopyReport): Target {
  const at = (name: string) => median(r.samples.get(name) ?? []);
  const [ferry, copy, annex] = [at('ferry copy'), at(CP_SYNC), at('git annex copy')];
  const rate = (ms: number) => `${((r.size / MiB) / (ms / 1000)).toFixed(0)} MiB/s`;
  r.print();
  const rows = sampleRows(r.samples, r.names).map((row) => [...row, rate(at(row[0]!))]);
  for (const l of table([r.heading, 'median', 'min', 'max', 'runs', 'throughput'], rows)) r.print(l);
  r.print(`  ferry / (cp + sync -f): ${formatRatio(ferry / copy)} (target ≤ ${r.ratio}×)`);
  if (r.withAnnex) r.print(`  git-annex / ferry:      ${formatRatio(annex / ferry)}`);
  return target(r.name, ferry / copy <= r.ratio,
    `${formatRatio(ferry / copy)} (ferry ${formatMs(ferry)}, cp + sync -f ${formatMs(copy)}${r.withAnnex ? `, git-annex ${formatMs(annex)}` : ''})`);
}
