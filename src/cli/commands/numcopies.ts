import { copiesCommand } from '../setting-commands.js';

export const command = copiesCommand('numcopies', {
  summary: 'get or set how many copies of each file should exist',
  description: [
    'With N, records numcopies in the git-annex branch for every repository; without, prints it. A file\'s',
    '.gitattributes annex.numcopies and the --numcopies option of get/drop/copy/move take precedence.',
    'Drops never leave fewer copies than this, counting only copies verified now or held by trusted',
    'repositories.',
  ].join('\n'),
});
