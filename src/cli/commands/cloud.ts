import { cloudGc } from '../../sync/index.js';
import { ExitCode, UsageError } from '../../util/index.js';
import type { Command } from '../command.js';
import { jsonOption } from '../command.js';
import { withAnnex } from '../open.js';

const DEFAULT_GRACE_HOURS = 24;

export const command: Command = {
  name: 'cloud',
  summary: 'look after the git history kept in a cloud (ferry:: remotes)',
  usage: 'gc [REMOTE ...] [--full] [--grace HOURS]',
  description: [
    'gc: for each ferry:: git remote (or those named), puts back bundles of this repository that the store',
    'lost, and deletes bundles that no peer\'s manifest lists once they have been unlisted for the grace',
    `period (default ${DEFAULT_GRACE_HOURS} hours, at least 24: a push in progress uploads its bundle before its`,
    'manifest). Pushes merge this repository\'s own bundles by size tiers as they go; --full merges them all',
    'into one now. Other peers\' bundles are theirs to merge. See docs/cloudgit-format.md.',
  ].join('\n'),
  options: [
    jsonOption,
    { name: 'full', kind: 'boolean', help: 'merge all of this repository\'s bundles into one' },
    { name: 'grace', kind: 'string', help: 'hours a bundle must have been unlisted before it is deleted (≥ 24)' },
  ],
  async run({ positional, options }, { out, cwd }) {
    const [sub, ...remotes] = positional;
    if (sub !== 'gc') throw new UsageError(sub === undefined ? 'Specify what to do: gc.' : `unknown cloud command '${sub}'`, 'ferry cloud gc [REMOTE ...] [--full]');
    const graceText = options.get('grace') as string | undefined;
    const hours = graceText === undefined ? DEFAULT_GRACE_HOURS : Number(graceText);
    if (!Number.isFinite(hours) || hours < 24) throw new UsageError(`--grace: expected a number of hours ≥ 24, got '${graceText}'`);
    return withAnnex(cwd, async (annex) => {
      const results = await cloudGc(annex, remotes, { full: options.get('full') === true, graceMs: hours * 3_600_000 });
      for (const { remote, result: r } of results) {
        out.line(`cloud gc ${remote} (${r.restored > 0 ? `${r.restored} lost bundles put back; ` : ''}own bundles ${r.ownBefore} → ${r.ownAfter}; ${r.deleted} deleted, ${r.waiting} waiting for the grace period) ok`);
        out.record({ command: 'cloud gc', remote, success: true, ...r, 'error-messages': [] });
      }
      return ExitCode.ok;
    });
  },
};
