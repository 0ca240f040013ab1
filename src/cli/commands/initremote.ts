import { initRemote, parseParamWords } from '../../remotes/index.js';
import { ExitCode, UsageError } from '../../util/index.js';
import type { Command } from '../command.js';
import { jsonOption } from '../command.js';
import { withAnnex } from '../open.js';
import { remoteTypeHelp, reportConfigured } from '../output/remote-config.js';

export const command: Command = {
  name: 'initremote',
  summary: 'create a special remote (a directory or an S3 bucket) that stores content, as git-annex does',
  usage: 'NAME type=TYPE encryption=none|shared [param=value ...]',
  description: [
    'Records the remote in the git-annex branch (remote.log), so every clone can enable it with',
    "'ferry enableremote NAME' or 'git annex enableremote NAME'. encryption=shared encrypts names and",
    'content with a cipher kept in the git-annex branch: the provider sees neither; anyone with the',
    'repository can decrypt. chunk=SIZE (e.g. 8MiB) stores files in chunks: transfers resume by chunk.',
    '',
    remoteTypeHelp(),
  ].join('\n'),
  options: [jsonOption],
  async run({ positional }, { out, cwd }) {
    const [name, ...words] = positional;
    if (name === undefined || name.includes('=')) throw new UsageError('Specify a name for the remote.', "e.g. 'ferry initremote usb type=directory directory=/mnt/usb encryption=shared'");
    const params = parseParamWords(words);
    return withAnnex(cwd, async (annex) => {
      reportConfigured(out, 'initremote', positional, await initRemote(annex, name, params, cwd));
      return ExitCode.ok;
    });
  },
};
