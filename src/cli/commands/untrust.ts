import { trustCommand } from '../setting-commands.js';

export const command = trustCommand('untrust', 'untrusted', {
  summary: 'do not trust repositories to keep their content',
  description: 'Records REPO as untrusted: its copies never count toward numcopies (a laptop that may be lost).',
});
