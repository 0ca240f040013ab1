// Which tool a work tree's git setup calls (the annex filter and the hooks), and what is inconsistent:
// a repository where plain `git add` would run one tool and `git commit` the other, or a tool that is not
// installed. ferry works with either tool's setup; `ferry fsck` reports a mixed one.
import { access, constants, readFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import type { Annex } from '../annex.js';
import { FERRY_HOOKS, FERRY_HOOK_MARK, GIT_ANNEX_HOOK_MARK, filterOwner } from '../init.js';

async function onPath(program: string): Promise<boolean> {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    try {
      await access(join(dir, program), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

async function hookOwner(dir: string, name: string): Promise<'ferry' | 'git-annex' | 'user' | 'none'> {
  const text = await readFile(join(dir, name), 'utf8').catch(() => undefined);
  if (text === undefined) return 'none';
  if (text.includes(FERRY_HOOK_MARK)) return 'ferry';
  if (text.includes(GIT_ANNEX_HOOK_MARK)) return 'git-annex';
  return 'user';
}

export async function configWarnings(annex: Annex): Promise<string[]> {
  const repo = annex.repo;
  if (repo.bare) return [];
  const warnings: string[] = [];
  const filter = filterOwner(repo.config.get('filter.annex.process'));
  const hooksDir = repo.git.env?.FERRY_USER_HOOKS ?? join(repo.gitDir, 'hooks');
  const owners = new Set<string>();
  for (const name of Object.keys(FERRY_HOOKS)) {
    const owner = await hookOwner(hooksDir, name);
    if (owner === 'ferry' || owner === 'git-annex') owners.add(owner);
  }
  if (filter === 'none') warnings.push('filter.annex.process is not set: plain `git add` will put annexed files into git; run `ferry init` to set it');
  for (const owner of owners) {
    if (filter !== 'none' && filter !== owner) {
      warnings.push(`mixed setup: git's annex filter runs ${filter} but the hooks run ${owner}; both tools must be installed for plain git commands`);
    }
  }
  if (owners.size > 1) warnings.push('mixed setup: some hooks run ferry and others git-annex');
  const tools = new Set([...owners, ...(filter === 'ferry' || filter === 'git-annex' ? [filter] : [])]);
  for (const tool of tools) {
    if (!(await onPath(tool))) warnings.push(`this repository's git setup runs ${tool}, which is not on PATH: plain \`git add\`/\`git commit\` will fail`);
  }
  return warnings;
}
