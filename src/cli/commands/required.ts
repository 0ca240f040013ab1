import { contentExpressionCommand } from '../setting-commands.js';

export const command = contentExpressionCommand('required', {
  summary: 'get or set the required content expression of a repository',
  description: [
    'With REPO alone, prints its required content expression as set (empty when none is).',
    'With an EXPRESSION (one argument: quote it), sets it: content it matches is wanted, and is never',
    'dropped from REPO, even by drop without --auto, unless --force is given. REPO is a remote name, a',
    "uuid, a description, or 'here'.",
  ].join('\n'),
});
