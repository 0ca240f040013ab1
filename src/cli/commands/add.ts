import { lstat } from 'node:fs/promises';
import { addFiles } from '../../annex/index.js';
import { ExitCode, UsageError } from '../../util/index.js';
import type { Command } from '../command.js';
import { jsonOption } from '../command.js';
import { inputOf, withAnnex, repoPaths } from '../open.js';
import { Progress } from '../output/progress.js';

export const command: Command = {
  name: 'add',
  summary: 'add files to the annex (locked by default)',
  usage: '[PATH ...]',
  description: [
    'Adds new and modified files under each PATH (default: the current directory), respecting .gitignore.',
    'Large files go into the annex: locked (a symlink, read-only) unless --unlocked or annex.addunlocked;',
    'files annex.largefiles does not match, and dotfiles unless annex.dotfiles, go to git as `git add` would.',
    'The changes are staged; commit them with `git commit`.',
  ].join('\n'),
  options: [
    jsonOption,
    { name: 'unlocked', kind: 'boolean', help: 'add as unlocked files (ordinary files, content copied into the annex)' },
    { name: 'force-large', kind: 'boolean', help: 'annex every file, ignoring annex.largefiles and annex.dotfiles' },
    { name: 'force', kind: 'boolean', help: 'also add files that .gitignore ignores' },
    { name: 'backend', kind: 'string', value: 'NAME', help: 'key backend (default SHA256E, or annex.backend)' },
    { name: 'jobs', kind: 'number', short: 'J', help: 'files hashed at once (default 16)' },
  ],
  async run({ positional, options }, { out, cwd }) {
    return withAnnex(cwd, async (annex) => {
      const paths = repoPaths(annex, positional, cwd);
      let missing = 0;
      for (const [i, p] of paths.entries()) {
        if (p === '.') continue;
        if (!(await lstat(annex.repo.absPath(p)).then(() => true, () => false))) {
          out.warn(`ferry: ${positional[i]} not found`);
          missing++;
        }
      }
      if (missing > 0 && missing === paths.length) throw new UsageError(`nothing to add: ${positional.join(', ')} not found`);
      const progress = new Progress(out.progressStream(), 'add', out.isTerminal && !out.json);
      let failed = 0;
      let seen = 0;
      const results = await addFiles(annex, {
        paths,
        unlocked: options.get('unlocked') === true ? true : undefined,
        forceLarge: options.get('force-large') === true,
        includeIgnored: options.get('force') === true,
        backend: options.get('backend') as string | undefined,
        jobs: options.get('jobs') as number | undefined,
        onResult(r) {
          seen++;
          progress.update(seen, seen);
          const file = annex.repo.displayPath(r.path);
          if (!r.ok) failed++;
          if (!out.json) {
            progress.done();
            const note = r.to === 'git' ? ' (non-large file; adding content to git repository)' : '';
            out.line(`add ${file}${note} ${r.ok ? 'ok' : 'failed'}`);
            if (!r.ok) out.warn(`  ${r.error ?? 'failed'}`);
          }
          out.record({
            command: 'add', file, input: inputOf(positional, paths, r.path), success: r.ok,
            ...(r.key ? { key: r.key } : {}),
            ...(r.to === 'git' ? { note: 'non-large file; adding content to git repository' } : {}),
            'error-messages': r.ok ? [] : [r.error ?? 'failed'],
          });
        },
      });
      progress.done();
      if (results.length > 0 && !out.json) out.line('(recording state in git...)');
      return failed > 0 || missing > 0 ? ExitCode.failed : ExitCode.ok;
    });
  },
};
