import { refuseWhileAssistantRuns } from '../../assistant/index.js';
import { rejoinCloud } from '../../sync/index.js';
import { UsageError } from '../../util/index.js';
import type { Command } from '../command.js';
import { jsonOption } from '../command.js';
import { withAnnex } from '../open.js';
import { SyncReport } from '../output/sync-report.js';
import { readStdin } from './join.js';

export const command: Command = {
  name: 'rejoin',
  summary: 'move this repository to the cloud that `ferry cloud rotate` made, in place',
  usage: 'CODE|- [directory=PATH]',
  description: [
    'CODE is the join code `ferry cloud rotate` printed on another device (a secret; - reads it from standard',
    'input, out of the shell\'s history and of `ps`). In this repository, rejoin adds the new cloud\'s git',
    'remote NAME-git, fetches its history without merging it, and first retires every ferry:: git remote',
    'whose special remote that history marks dead (remote.REMOTE.ferry-retired=true; its special remote',
    'becomes read-only): the new history holds the new secret, so it must never reach the old store, which',
    'the shut-out device still reads. Then it enables the new special remote, sets NAME-git = ferry::NAME',
    'and the notifier settings from the code, and syncs with the new cloud (merging its work, pushing ours).',
    'A directory store\'s path in the code is where the rotating device sees it; when that folder does not',
    'hold the cloud, the same subfolder of this repository\'s directory remotes is tried; directory=PATH says',
    'where it is. To start in a new folder instead, use `ferry join CODE`.',
  ].join('\n'),
  options: [jsonOption],
  async run({ positional }, { out, cwd }) {
    const directory = positional.find((p) => p.startsWith('directory='))?.slice('directory='.length);
    const [code, ...extra] = positional.filter((p) => !p.startsWith('directory='));
    if (code === undefined) throw new UsageError('Specify the join code.', 'ferry rejoin CODE [directory=PATH]');
    if (extra.length > 0) throw new UsageError(`ferry rejoin: unexpected argument '${extra[0]}'`, 'ferry rejoin CODE [directory=PATH]');
    const text = code === '-' ? await readStdin() : code;
    return withAnnex(cwd, async (annex) => {
      await refuseWhileAssistantRuns(annex.repo.gitDir, 'rejoin');
      const report = new SyncReport(out, annex);
      const r = await rejoinCloud(annex, { code: text, cwd, ...(directory !== undefined ? { directory } : {}) }, report);
      out.line(`rejoin ${r.name}: ${r.added ? `added the cloud ${r.name} (${r.uuid}) as git remote ${r.gitRemote} = ferry::${r.name}` : `this repository has the cloud ${r.name} already (${r.gitRemote})`}`);
      if (r.retired.length > 0) out.line(`  retired (dead in the new history; never pushed to again): ${r.retired.join(' ')}`);
      else out.line('  no cloud of this repository is marked dead in the new history: nothing retired');
      if (r.passwords.length > 0) out.line(`  notifier passwords (${r.passwords.join(', ')}) kept in .git/ferry/, mode 600`);
      out.line(r.syncFailed === 0 ? `  merged ${r.gitRemote} and pushed to it` : `  the sync with ${r.gitRemote} did not finish: run ferry sync ${r.gitRemote}`);
      out.record({ command: 'rejoin', success: r.syncFailed === 0, name: r.name, uuid: r.uuid, 'git-remote': r.gitRemote, added: r.added, retired: r.retired, notify: r.notify, 'error-messages': [] });
      return report.finish(r.syncFailed);
    });
  },
};
