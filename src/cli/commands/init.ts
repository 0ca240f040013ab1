import { AnnexRepo, initRepo } from '../../annex/index.js';
import type { Command } from '../command.js';
import { jsonOption } from '../command.js';

export const command: Command = {
  name: 'init',
  summary: 'make this git repository an annex (as git annex init does)',
  usage: '[DESCRIPTION]',
  description: [
    'Gives the repository a uuid, creates the git-annex branch and records DESCRIPTION (default: user@host:/path).',
    'In a work tree it configures git\'s annex filter and hooks to call ferry, so plain `git add` and',
    '`git commit` work without git-annex. A repository git-annex already set up keeps git-annex\'s filter.',
    'Running it again only updates the description.',
  ].join('\n'),
  options: [jsonOption],
  async run({ positional }, { out, cwd }) {
    const repo = await AnnexRepo.open(cwd);
    try {
      const description = positional.length > 0 ? positional.join(' ') : undefined;
      const r = await initRepo(repo, description);
      out.line(`init ${r.description} ${r.created ? 'ok' : '(already initialised) ok'}`);
      if (r.filter === 'git-annex') out.line('  (this repository uses git-annex\'s filter and hooks; ferry works with them)');
      out.record({ command: 'init', success: true, uuid: r.uuid, description: r.description, input: [...positional], 'error-messages': [] });
    } finally {
      repo.close();
    }
  },
};
