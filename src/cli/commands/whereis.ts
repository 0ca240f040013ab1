import { Repositories, annexedFiles, whereabouts } from '../../annex/index.js';
import type { Repository } from '../../annex/index.js';
import { ExitCode } from '../../util/index.js';
import type { Command } from '../command.js';
import { jsonOption } from '../command.js';
import { inputOf, openAnnex, repoPaths } from '../open.js';

export const command: Command = {
  name: 'whereis',
  summary: 'list the repositories that have the content of files',
  usage: '[PATH ...]',
  options: [jsonOption],
  async run({ positional }, { out, cwd }) {
    const annex = await openAnnex(cwd);
    try {
      await annex.branch.update();
      const paths = repoPaths(annex, positional, cwd);
      const files = await annexedFiles(annex, paths);
      const repos = await Repositories.load(annex);
      const where = await whereabouts(annex, repos, files.map((f) => f.key));
      let status: number = ExitCode.ok;
      for (const f of files) {
        const w = where.get(f.key)!;
        const file = annex.repo.displayPath(f.path);
        const n = w.copies.length;
        const listing = w.copies.map((r) => `\t${repos.describe(r.uuid)}\n`).join('');
        const untrusted = w.untrusted.length > 0 ? `The following untrusted locations may also have copies:\n${w.untrusted.map((r) => `\t${repos.describe(r.uuid)}\n`).join('')}` : '';
        const note = `${n} ${n === 1 ? 'copy' : 'copies'}\n${listing}${untrusted}`;
        if (n === 0) status = ExitCode.failed;
        out.line(`whereis ${file} (${n} ${n === 1 ? 'copy' : 'copies'}) \n${w.copies.map((r) => `  \t${repos.describe(r.uuid)}`).join('\n')}${untrusted ? `\n${untrusted.trimEnd()}` : ''}\n${n > 0 ? 'ok' : 'failed'}`);
        out.record({
          command: 'whereis', file, key: f.key, input: inputOf(positional, paths, f.path), note, success: n > 0,
          whereis: w.copies.map(entry), untrusted: w.untrusted.map(entry), 'error-messages': [],
        });
      }
      return status;
    } finally {
      annex.close();
    }
  },
};

function entry(r: Repository): Record<string, unknown> {
  return { uuid: r.uuid, description: r.description, here: r.here, urls: [] };
}
