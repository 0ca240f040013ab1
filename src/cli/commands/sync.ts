import { defaultSyncParts, syncRepository } from '../../sync/index.js';
import { UsageError } from '../../util/index.js';
import type { Command } from '../command.js';
import { jsonOption } from '../command.js';
import { withAnnex } from '../open.js';
import { SyncReport } from '../output/sync-report.js';

export const command: Command = {
  name: 'sync',
  summary: 'commit, pull, merge and push with remotes; with --content, move content as wanted',
  usage: '[REMOTE ...]',
  description: [
    'Commits changes to tracked files, fetches from each remote and merges its branches (a conflict on an',
    'annexed file keeps both versions as NAME.variant-XXXX.EXT), union-merges the git-annex branches, and',
    'pushes BRANCH to synced/BRANCH and the git-annex branch to synced/git-annex in one push per remote.',
    'With --content (or annex.synccontent), also gets, sends and drops content as preferred content and',
    'numcopies say. Names of remotes (or remotes.GROUP groups) limit the sync to them.',
  ].join('\n'),
  options: [
    jsonOption,
    { name: 'content', kind: 'boolean', help: 'also move content as preferred content says' },
    { name: 'no-content', kind: 'boolean', help: 'do not move content (overrides annex.synccontent)' },
    { name: 'pull', kind: 'boolean', help: 'fetch and merge from remotes (the default)' },
    { name: 'no-pull', kind: 'boolean', help: 'do not fetch or merge from remotes' },
    { name: 'push', kind: 'boolean', help: 'push to remotes (the default)' },
    { name: 'no-push', kind: 'boolean', help: 'do not push to remotes' },
    { name: 'commit', kind: 'boolean', help: 'commit changes first (the default, unless annex.autocommit=false)' },
    { name: 'no-commit', kind: 'boolean', help: 'do not commit changes first' },
    { name: 'message', kind: 'string', short: 'm', value: 'MSG', help: 'the commit message (default "git-annex in DESC")' },
    { name: 'allow-unrelated-histories', kind: 'boolean', help: 'merge branches that share no history' },
    { name: 'no-resolvemerge', kind: 'boolean', help: 'leave merge conflicts on annexed files for the user' },
    { name: 'jobs', kind: 'number', short: 'J', help: 'transfers at once with --content (default 4)' },
    { name: 'all', kind: 'boolean', short: 'A', help: 'with --content, every key known (old versions too), not only the files' },
  ],
  async run(args, { out, cwd }) {
    const flag = (yes: string, no: string): boolean | undefined => {
      const y = args.options.get(yes) === true;
      const n = args.options.get(no) === true;
      if (y && n) throw new UsageError(`ferry sync: give --${yes} or --${no}, not both`);
      return y ? true : n ? false : undefined;
    };
    const content = flag('content', 'no-content');
    const pull = flag('pull', 'no-pull') ?? true;
    const push = flag('push', 'no-push') ?? true;
    const commit = flag('commit', 'no-commit');
    const message = args.options.get('message') as string | undefined;
    const jobs = args.options.get('jobs') as number | undefined;
    return withAnnex(cwd, async (annex) => {
      const report = new SyncReport(out, annex);
      const result = await syncRepository(annex, {
        remotes: args.positional,
        pull,
        push,
        allowUnrelatedHistories: args.options.get('allow-unrelated-histories') === true,
        ...(commit !== undefined ? { commit } : {}),
        ...(message !== undefined ? { message } : {}),
        ...(content !== undefined ? { content } : {}),
        ...(args.options.get('no-resolvemerge') === true ? { resolveMerge: false } : {}),
        ...(jobs !== undefined ? { jobs } : {}),
        ...(args.options.get('all') === true ? { all: true } : {}),
      }, report, defaultSyncParts());
      return report.finish(result.failed);
    });
  },
};
