import { AnnexRepo, initRepo } from '../../annex/index.js';
import { autoEnableRemotes } from '../../remotes/index.js';
import { adoptCloudOrigins } from '../../sync/index.js';
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
    'In a clone made with `git clone ferry::PATH` (or an S3 URL), the special remote that cloud belongs to is',
    'enabled and the git remote becomes NAME-git with URL ferry::NAME (docs/cloudgit-format.md "URLs").',
  ].join('\n'),
  options: [jsonOption],
  async run({ positional }, { out, cwd }) {
    const repo = await AnnexRepo.open(cwd);
    try {
      const description = positional.length > 0 ? positional.join(' ') : undefined;
      const r = await initRepo(repo, description);
      const { auto, clouds } = await withAnnex(cwd, async (annex) => ({
        auto: r.created ? await autoEnableRemotes(annex, cwd) : { enabled: [], failed: [] },
        clouds: await adoptCloudOrigins(annex, cwd),
      }));
      const notes = [...auto.enabled.map((n) => `(Auto enabling special remote ${n}...) `),
        ...clouds.adopted.map((c) => `(enabling special remote ${c.special}; git remote ${c.from} is now ${c.to}, ferry::${c.special}) `)].join('');
      out.line(`init ${r.description} ${notes}${r.created ? 'ok' : '(already initialised) ok'}`);
      for (const f of auto.failed) out.warn(`  could not auto-enable special remote ${f.name}: ${f.reason}`);
      for (const f of clouds.failed) out.warn(`  could not enable the special remote of cloud git remote ${f.remote}: ${f.reason}`);
      if (r.filter === 'git-annex') out.line('  (this repository uses git-annex\'s filter and hooks; ferry works with them)');
      out.record({ command: 'init', success: true, uuid: r.uuid, description: r.description, input: [...positional], 'error-messages': [] });
    } finally {
      repo.close();
    }
  },
};
