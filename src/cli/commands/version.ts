import { SUPPORTED_VERSION } from '../../annex/index.js';
import type { Command } from '../command.js';
import { version } from '../version.js';

export const command: Command = {
  name: 'version',
  summary: 'show ferry\'s version and the repository version it works with',
  usage: '',
  options: [],
  run(_args, { out }) {
    out.write(`ferry version: ${version()}\nrepository version: ${SUPPORTED_VERSION}\ncompatible with: git-annex 10.20230126\n`);
    return Promise.resolve();
  },
};
