import { Repositories, whereabouts } from '../../annex/index.js';
import type { Repository } from '../../annex/index.js';
import { ExitCode } from '../../util/index.js';
import type { Command } from '../command.js';
import { jsonOption } from '../command.js';
import { inputOf, selectedFiles, withAnnex } from '../open.js';

export const command: Command = {
  name: 'whereis',
  summary: 'list the repositories that have the content of files',
  usage: '[PATH ...]',
  options: [jsonOption],
  async run({ positional }, { out, cwd }) {
    return withAnnex(cwd, async (annex) => {
      const { paths, files, unmatched } = await selectedFiles(annex, positional, cwd, out);
      const repos = await Repositories.load(annex);
      const where = await whereabouts(annex, repos, files.map((f) => f.key));
      let failed = unmatched;
      for (const f of files) {
        const w = where.get(f.key)!;
        const file = annex.repo.displayPath(f.path);
        const n = w.copies.length;
        const count = `${n} ${n === 1 ? 'copy' : 'copies'}`;
        const listing = w.copies.map((r) => `\t${repos.describe(r.uuid)}\n`).join('');
        const untrusted = w.untrusted.length > 0 ? `The following untrusted locations may also have copies:\n${w.untrusted.map((r) => `\t${repos.describe(r.uuid)}\n`).join('')}` : '';
        // git-annex's note is "N copies" alone when there is nothing to list.
        const note = listing === '' && untrusted === '' ? count : `${count}\n${listing}${untrusted}`;
        if (n === 0) failed++;
        const lines = [...w.copies.map((r) => `  \t${repos.describe(r.uuid)}`), ...(untrusted ? [untrusted.trimEnd()] : [])];
        out.line(`whereis ${file} (${count}) ${lines.length > 0 ? `\n${lines.join('\n')}\n` : ''}${n > 0 ? 'ok' : 'failed'}`);
        // With no PATH, git-annex gives each file as its own input.
        out.record({
          command: 'whereis', file, key: f.key, input: positional.length === 0 ? [file] : inputOf(positional, paths, f.path), note, success: n > 0,
          whereis: w.copies.map(entry), untrusted: w.untrusted.map(entry), 'error-messages': [],
        });
      }
      // git-annex's closing summary on stderr, in text and --json mode alike.
      if (failed > 0) out.warn(`whereis: ${failed} failed`);
      return failed > 0 ? ExitCode.failed : ExitCode.ok;
    });
  },
};

/** git-annex's JSON names a repository by its label (description and remote name), not the bare description. */
function entry(r: Repository): Record<string, unknown> {
  return { uuid: r.uuid, description: r.label, here: r.here, urls: [] };
}
