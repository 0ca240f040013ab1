import { contentExpressionCommand } from '../setting-commands.js';

export const command = contentExpressionCommand('wanted', {
  summary: 'get or set the preferred content expression of a repository',
  description: [
    'With REPO alone, prints its preferred content expression as set (empty when none is).',
    'With an EXPRESSION (one argument: quote it), sets it: "standard" uses the expression of the',
    "repository's standard group, \"groupwanted\" that of its group (ferry groupwanted). A malformed",
    'expression is refused with the position and word that is wrong. REPO is a remote name, a uuid,',
    "a description, or 'here'. See git-annex-preferred-content(1) for the terms.",
  ].join('\n'),
});
