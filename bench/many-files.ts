// The report of a many-small-files benchmark (add-small-files, copy-small-files, special-directory's second
// part): the medians, git-annex / ferry against the target, ferry against a third reference where there is
// one (plain git, cp), and the cost per 1000 files.
import { formatMs, formatRatio, median, sampleRows, table, target } from './lib.js';
import type { ReportInput, Target } from './lib.js';

/** `ratio`: what git-annex / ferry must reach; samples: 'ferry', 'git-annex' (when it ran), and the reference's. */
export interface ManyFilesReport extends ReportInput {
  readonly files: number;
  /** A reference shown for information: its sample name, its short and its long label. */
  readonly reference?: { readonly sample: string; readonly short: string; readonly long: string };
}

export function reportManyFiles(r: ManyFilesReport): Target {
  const at = (name: string) => median(r.samples.get(name) ?? []);
  const perThousand = (ms: number) => formatMs((ms / r.files) * 1000);
  const [ferry, annex] = [at('ferry'), at('git-annex')];
  const ref = r.reference && { ...r.reference, ms: at(r.reference.sample) };
  r.print();
  for (const l of table([r.heading, 'median', 'min', 'max', 'runs'], sampleRows(r.samples, r.names))) r.print(l);
  if (r.withAnnex) r.print(`  git-annex / ferry: ${formatRatio(annex / ferry)} (target ≥ ${r.ratio}×)`);
  if (ref) r.print(`  ${`ferry / ${ref.short}:`.padEnd(19)}${formatRatio(ferry / ref.ms)}`);
  r.print(`  per file: ferry ${perThousand(ferry)} per 1000 files, git-annex ${perThousand(annex)} per 1000${ref ? `, ${ref.short} ${perThousand(ref.ms)} per 1000` : ''}`);
  if (!r.withAnnex) return { name: r.name, status: 'SKIP', figure: 'git-annex not installed' };
  return target(r.name, annex / ferry >= r.ratio,
    `${formatRatio(annex / ferry)} (ferry ${formatMs(ferry)}, git-annex ${formatMs(annex)}${ref ? `; ${ref.long} ${formatMs(ref.ms)}, ferry / ${ref.short} ${formatRatio(ferry / ref.ms)}` : ''})`);
}
