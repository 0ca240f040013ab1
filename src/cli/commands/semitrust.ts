import { trustCommand } from '../setting-commands.js';

export const command = trustCommand('semitrust', 'semitrusted', {
  summary: 'return repositories to the default trust level',
  description: 'Records REPO as semitrusted, the default: its copies count once they are checked.',
});
