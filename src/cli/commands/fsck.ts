import { allBranchKeys, configWarnings, fsck, localKeys } from '../../annex/index.js';
import type { FsckItem } from '../../annex/index.js';
import type { FsckResult } from '../../annex/index.js';
import { openRemotes } from '../../remotes/index.js';
import { fsckRemote } from '../../sync/index.js';
import { ExitCode } from '../../util/index.js';
import type { Command } from '../command.js';
import { jsonOption } from '../command.js';
import { inputOf, selectedFiles, withAnnex } from '../open.js';
import { namedRemote } from '../transfer-args.js';

export const command: Command = {
  name: 'fsck',
  summary: 'check annexed content against its keys and repair the location log',
  usage: '[PATH ...]',
  description: 'Exit status 0 when everything checked is well, 1 when a problem was found (each is printed with **).',
  options: [
    jsonOption,
    { name: 'fast', kind: 'boolean', help: 'do not hash content, only check presence and the logs' },
    { name: 'all', kind: 'boolean', short: 'A', help: 'check every key this repository has or the branch knows, not only files' },
    { name: 'numcopies', kind: 'number', short: 'N', help: 'the number of copies to require' },
    { name: 'jobs', kind: 'number', short: 'J', help: 'files checked at once (default 4)' },
    { name: 'from', kind: 'string', value: 'REMOTE', help: "check the remote's copies instead (fetched and verified unless --fast) and correct its location log" },
  ],
  async run({ positional, options }, { out, cwd }) {
    return withAnnex(cwd, async (annex) => {
      for (const w of await configWarnings(annex)) out.warn(`ferry: ${w}`);
      let items: FsckItem[];
      let paths: string[] = [];
      let bad = 0;
      if (options.get('all') === true) {
        const keys = new Set([...await localKeys(annex), ...await allBranchKeys(annex)]);
        items = [...keys].sort().map((key) => ({ key }));
      } else {
        const selected = await selectedFiles(annex, positional, cwd, out);
        paths = selected.paths;
        bad = selected.unmatched;
        items = selected.files.map((f) => ({ key: f.key, path: f.path }));
      }
      const from = options.get('from') as string | undefined;
      const onResult = (r: FsckResult) => {
        if (!r.ok) bad++;
        const file = r.path === undefined ? r.key : annex.repo.displayPath(r.path);
        const notes = r.notes.length > 0 ? ` (${r.notes.join(') (')})` : '';
        for (const p of r.problems) out.warn(`  ${p}`);
        out.line(`fsck ${file}${notes} ${r.ok ? 'ok' : 'failed'}`);
        // As git-annex: with no PATH each file is its own input; no "note" field when nothing was noted.
        const input = r.path === undefined ? [] : positional.length === 0 ? [file] : inputOf(positional, paths, r.path);
        out.record({
          command: 'fsck', file: r.path === undefined ? null : file, key: r.key, input,
          ...(r.notes.length > 0 ? { note: r.notes.join('\n') } : {}), success: r.ok, 'error-messages': [...r.problems],
        });
      };
      const fast = options.get('fast') === true;
      const jobs = options.get('jobs') as number | undefined;
      if (from === undefined) await fsck(annex, items, { fast, numcopies: options.get('numcopies') as number | undefined, jobs, onResult });
      else {
        const opened = await openRemotes(annex);
        try {
          await fsckRemote(annex, namedRemote(opened, from), items, { fast, jobs, onResult });
        } finally {
          opened.close();
        }
      }
      if (bad > 0) out.warn(`fsck: ${bad} failed`);
      return bad > 0 ? ExitCode.failed : ExitCode.ok;
    });
  },
};
