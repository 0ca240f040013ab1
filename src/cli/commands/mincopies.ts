import { copiesCommand } from '../setting-commands.js';

export const command = copiesCommand('mincopies', {
  summary: 'get or set the minimum number of copies that must be verified before a drop',
  description: [
    'With N, records mincopies in the git-annex branch; without, prints it. Unlike numcopies, trusted',
    "repositories' copies do not count toward it unless verified; .gitattributes annex.mincopies and",
    '--mincopies take precedence.',
  ].join('\n'),
});
