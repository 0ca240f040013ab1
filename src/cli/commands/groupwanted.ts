import { groupWantedExpression, setGroupWantedExpression } from '../../annex/index.js';
import type { Command } from '../command.js';
import { jsonOption } from '../command.js';
import { withAnnex } from '../open.js';
import { applyChanges, requireArgs, showValue } from '../setting-commands.js';

export const command: Command = {
  name: 'groupwanted',
  summary: 'get or set the preferred content expression of a group',
  usage: 'GROUP [EXPRESSION]',
  description: [
    'With GROUP alone, prints the expression set for it (empty when none is). With an EXPRESSION, sets',
    'it: a repository in GROUP whose wanted expression is "groupwanted" uses it. It may use "standard"',
    '(the standard group of the repository), but not "groupwanted". A group name has no white space.',
  ].join('\n'),
  options: [jsonOption],
  async run({ positional }, { out, cwd }) {
    requireArgs(positional, (n) => n === 1 || n === 2, 'Specify a group.', 'groupwanted GROUP [EXPRESSION]');
    const [group, expression] = positional as [string, string | undefined];
    return withAnnex(cwd, async (annex) => {
      await annex.branch.update();
      if (expression === undefined) {
        const current = (await groupWantedExpression(annex, group)) ?? '';
        return showValue(out, 'groupwanted', positional, current, { group, expression: current });
      }
      return applyChanges(annex, out, 'groupwanted', [{
        label: group, input: positional, fields: { group, expression },
        apply: () => setGroupWantedExpression(annex, group, expression),
      }]);
    });
  },
};
