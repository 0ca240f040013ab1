import { AnnexRepo, fixStagedLinks, populateSmudged, runUserHook, Annex } from '../../annex/index.js';
import { UsageError } from '../../util/index.js';
import type { Command } from '../command.js';

/** ferry's part of each hook it has one for; every other hook only hands over to the user's. */
const FERRY_PART: Readonly<Record<string, (annex: Annex) => Promise<unknown>>> = {
  'pre-commit': fixStagedLinks,
  'post-checkout': populateSmudged,
  'post-merge': populateSmudged,
};

export const command: Command = {
  name: 'hook',
  summary: 'run by the hooks of git commands ferry starts: ferry\'s part, then the user\'s own hook',
  usage: 'NAME [ARGS ...]',
  options: [],
  async run({ positional }, { cwd }) {
    const [name, ...args] = positional;
    if (name === undefined) throw new UsageError('ferry hook: which hook?');
    const part = FERRY_PART[name];
    if (part) {
      const repo = await AnnexRepo.open(cwd);
      try {
        if (repo.uuid !== undefined && !repo.bare) await part(new Annex(repo, repo.requireInitialised()));
      } finally {
        repo.close();
      }
    }
    const userHooks = process.env.FERRY_USER_HOOKS;
    return userHooks ? runUserHook(userHooks, name, args) : 0;
  },
};
