import { parseParamWords, specialRemoteRecords } from '../../remotes/index.js';
import { enableCheckedRemote } from '../../sync/index.js';
import { ExitCode } from '../../util/index.js';
import type { Command } from '../command.js';
import { jsonOption } from '../command.js';
import { withAnnex } from '../open.js';
import { reportConfigured } from '../output/remote-config.js';

export const command: Command = {
  name: 'enableremote',
  summary: 'enable here a special remote made in another clone (by ferry or git-annex)',
  usage: 'NAME|UUID|DESCRIPTION [param=value ...]',
  description: [
    'Some types need local parameters every time: a directory remote needs directory=PATH (where this',
    'machine sees the directory). Other parameters given change the remote for every clone; its type and',
    'encryption cannot change. Without a name, lists the special remotes that can be enabled. A directory',
    'that holds another ferry cloud (its ferry-git/v1/uuid marker) is refused, and so is one without the',
    'marker when this repository already uses the remote\'s cloud (a ferry:: git remote).',
  ].join('\n'),
  options: [jsonOption],
  async run({ positional }, { out, cwd }) {
    const [name, ...words] = positional;
    return withAnnex(cwd, async (annex) => {
      if (name === undefined) {
        await annex.branch.update();
        const records = await specialRemoteRecords(annex);
        out.line(`git special remotes known here: ${records.map((r) => r.config.get('name') ?? r.uuid).join(' ') || '(none)'}`);
        return ExitCode.ok;
      }
      reportConfigured(out, 'enableremote', positional, await enableCheckedRemote(annex, name, parseParamWords(words), cwd));
      return ExitCode.ok;
    });
  },
};
