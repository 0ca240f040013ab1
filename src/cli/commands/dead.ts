import { parseKey, setKeyDead, setTrust } from '../../annex/index.js';
import { UsageError } from '../../util/index.js';
import type { Command } from '../command.js';
import { jsonOption } from '../command.js';
import { withAnnex } from '../open.js';
import { applyChanges, loadRepositories, resolveRepository, warnOverride } from '../setting-commands.js';

export const command: Command = {
  name: 'dead',
  summary: 'record that repositories, or a key\'s content, are lost for good',
  usage: 'REPO ... | --key KEY',
  description: [
    'Marks each REPO dead: its copies no longer count anywhere and it leaves every group. With --key,',
    'records that no repository will ever have KEY again (refused while one is recorded as having it).',
  ].join('\n'),
  options: [jsonOption, { name: 'key', kind: 'string', value: 'KEY', help: 'a key whose content has been irretrievably lost' }],
  async run({ positional, options }, { out, cwd }) {
    const key = options.get('key') as string | undefined;
    if (key !== undefined && positional.length > 0) throw new UsageError(`ferry dead: give repositories or --key, not both (${positional[0]!})`);
    if (key !== undefined && parseKey(key) === undefined) throw new UsageError(`ferry dead: --key: invalid key '${key}'`);
    if (key === undefined && positional.length === 0) throw new UsageError('no repository name specified', 'usage: ferry dead REPO ... | --key KEY');
    return withAnnex(cwd, async (annex) => {
      const repos = await loadRepositories(annex);
      if (key !== undefined) {
        return applyChanges(annex, out, 'dead', [{ label: key, input: [], fields: { key }, apply: () => setKeyDead(annex, key) }]);
      }
      return applyChanges(annex, out, 'dead', positional.map((repo) => ({
        label: repo, input: [repo], fields: { trustlevel: 'dead' },
        apply: async () => {
          const uuid = await resolveRepository(annex, repos, repo);
          await setTrust(annex, uuid, 'dead');
          warnOverride(out, repos, uuid);
        },
      })));
    });
  },
};
