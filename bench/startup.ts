// Startup: `ferry --version`, the cost every command and every git hook ferry installs pays before doing
// anything. The floor is `node -e 0` (starting the runtime itself).
import { alternate, formatMs, formatRatio, median, run, sampleRows, table, target } from './lib.js';
import type { Benchmark, Command, Contender } from './lib.js';

const RUNS = 7;
const TARGET_MS = 150;

export const benchmark: Benchmark = {
  name: 'startup',
  title: `startup: ferry --version vs node -e 0 (median of ${RUNS}, after a warm-up)`,
  async run({ ws, print }) {
    const opts = { cwd: ws.root, env: ws.env };
    const contender = (name: string, cmd: Command): Contender<null> => ({
      name,
      prepare: () => Promise.resolve(null),
      measure: async () => (await run(cmd, opts)).ms,
    });
    const contenders = [contender('ferry --version', ['ferry', '--version']), contender('node -e 0', ['node', '-e', '0'])];
    for (const c of contenders) await c.measure(null); // warm-up: page cache, compile cache
    const samples = await alternate(contenders, RUNS, print);
    const ferry = median(samples.get('ferry --version') ?? []);
    const node = median(samples.get('node -e 0') ?? []);
    print();
    for (const l of table(['command', 'median', 'min', 'max', 'runs'], sampleRows(samples, contenders.map((c) => c.name)))) print(l);
    print(`  ferry / node: ${formatRatio(ferry / node)} (ferry's own share: ${formatMs(ferry - node)})`);
    return [target('startup: ferry --version', ferry < TARGET_MS, `${formatMs(ferry)} (target < ${TARGET_MS} ms; node -e 0: ${formatMs(node)})`)];
  },
};
