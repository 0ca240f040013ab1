import { trustCommand } from '../setting-commands.js';

export const command = trustCommand('trust', 'trusted', {
  summary: 'trust repositories to keep their content (needs --force)',
  description: [
    'Records REPO as trusted: its copies count for numcopies without being checked, so dropping from it',
    'later risks losing data. Refused without --force, as git-annex refuses it.',
  ].join('\n'),
});
