import { AnnexRepo, initRepo } from '../../annex/index.js';
import { autoEnableRemotes } from '../../remotes/index.js';
import type { Command } from '../command.js';
import { jsonOption } from '../command.js';
import { withAnnex } from '../open.js';

export const command: Command = {
  name: 'init',
  summary: 'make this git repository an annex (as git annex init does)',
  usage: '[DESCRIPTION]',
  description: [
    'Gives the repository a uuid, creates the git-annex branch and records DESCRIPTION (default: user@host:/path).',
    'In a work tree it configures git\'s annex filter and hooks to call ferry, so plain `git add` and',
    '`git commit` work without git-annex. A repository git-annex already set up keeps git-annex\'s filter.',
    'Running it again only updates the description. Special remotes recorded with autoenable=true are enabled.',
  ].join('\n'),
  options: [jsonOption],
  async run({ positional }, { out, cwd }) {
    const repo = await AnnexRepo.open(cwd);
    try {
      const description = positional.length > 0 ? positional.join(' ') : undefined;
      const r = await initRepo(repo, description);
      const auto = r.created ? await withAnnex(cwd, (annex) => autoEnableRemotes(annex, cwd)) : { enabled: [], failed: [] };
      const notes = auto.enabled.map((n) => `(Auto enabling special remote ${n}...) `).join('');
      out.line(`init ${r.description} ${notes}${r.created ? 'ok' : '(already initialised) ok'}`);
      for (const f of auto.failed) out.warn(`  could not auto-enable special remote ${f.name}: ${f.reason}`);
      if (r.filter === 'git-annex') out.line('  (this repository uses git-annex\'s filter and hooks; ferry works with them)');
      out.record({ command: 'init', success: true, uuid: r.uuid, description: r.description, input: [...positional], 'error-messages': [] });
    } finally {
      repo.close();
    }
  },
};
