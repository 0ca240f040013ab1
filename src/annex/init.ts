// `ferry init`: makes a git repository an annex repository the way `git annex init` does (annex-format.md
// §2.1): annex.uuid and annex.version, the git-annex branch, this repository's line in uuid.log, and in a
// work tree the filter config, `* filter=annex` in .git/info/attributes and the hooks, all naming ferry so
// that plain `git add` and `git commit` work without git-annex installed. A repository git-annex already
// set up keeps git-annex's filter and hooks: ferry accepts them and never rewrites them.
import { randomUUID } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { isNotFound, writeFileAtomic } from '../util/index.js';
import { Annex } from './annex.js';
import { currentClock, parseUuidLog, renderUuidLog, setUuidValue } from './branch/index.js';
import type { AnnexRepo } from './repo.js';
import { SUPPORTED_VERSION } from './repo.js';

export const FERRY_HOOK_MARK = '# automatically configured by ferry';
export const GIT_ANNEX_HOOK_MARK = '# automatically configured by git-annex';

/** The hooks ferry installs, as git-annex installs its own (§2.1), each calling ferry from PATH. */
export const FERRY_HOOKS: Readonly<Record<string, string>> = {
  'pre-commit': 'ferry pre-commit .',
  'post-checkout': 'ferry smudge --update',
  'post-merge': 'ferry smudge --update',
};

export interface InitResult {
  readonly uuid: string;
  readonly description: string;
  /** False when the repository was already initialised (init then only updates the description). */
  readonly created: boolean;
  /** Which tool's filter the repository's config names after init. */
  readonly filter: 'ferry' | 'git-annex' | 'other' | 'none';
}

export async function initRepo(repo: AnnexRepo, description?: string): Promise<InitResult> {
  const existing = repo.uuid;
  const uuid = existing ?? randomUUID();
  if (!existing) {
    await repo.setConfig('annex.uuid', uuid);
  }
  if (repo.config.get('annex.version') === undefined) await repo.setConfig('annex.version', SUPPORTED_VERSION);
  if (!repo.bare) {
    await configureFilter(repo);
    await addFilterAttribute(repo);
    await installHooks(repo);
  }
  await repo.reloadConfig();
  const annex = new Annex(repo, uuid);
  await annex.branch.ensureExists();
  const desc = description ?? defaultDescription(repo);
  const uuidLog = await annex.branch.get('uuid.log');
  const parsed = parseUuidLog(uuidLog);
  const current = parsed.entries.filter((e) => e.uuid === uuid).pop();
  if (!current || description !== undefined) {
    await annex.branch.change(new Map([['uuid.log', (old: string) => renderUuidLog(setUuidValue(parseUuidLog(old), uuid, desc, currentClock()))]]));
  }
  await annex.branch.commit('update');
  return { uuid, description: description ?? current?.value ?? desc, created: !existing, filter: filterOwner(repo.config.get('filter.annex.process')) };
}

/** git-annex's default description: user@host:/path. */
function defaultDescription(repo: AnnexRepo): string {
  let user = 'user';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (some containers): keep the generic name
  }
  return `${user}@${hostname()}:${repo.top ?? repo.gitDir}`;
}

export function filterOwner(process: string | undefined): InitResult['filter'] {
  if (process === undefined) return 'none';
  if (/\bgit-annex\b|\bgit annex\b/.test(process)) return 'git-annex';
  if (/\bferry\b/.test(process)) return 'ferry';
  return 'other';
}

/** Sets ferry's filter commands unless the repository already names a filter (git-annex's is kept). */
async function configureFilter(repo: AnnexRepo): Promise<void> {
  if (repo.config.get('filter.annex.process') !== undefined) return;
  await repo.setConfig('filter.annex.smudge', 'ferry smudge -- %f');
  await repo.setConfig('filter.annex.clean', 'ferry smudge --clean -- %f');
  await repo.setConfig('filter.annex.process', 'ferry filter-process');
}

/** `* filter=annex` in .git/info/attributes, unless it or the top .gitattributes already says filter=annex. */
async function addFilterAttribute(repo: AnnexRepo): Promise<void> {
  const infoDir = join(repo.gitDir, 'info');
  const file = join(infoDir, 'attributes');
  const current = await readOptional(file);
  const top = await readOptional(join(repo.top!, '.gitattributes'));
  if (current.includes('filter=annex') || top.includes('filter=annex')) return;
  await mkdir(infoDir, { recursive: true });
  await writeFileAtomic(file, `${current}\n* filter=annex\n`);
}

/**
 * Writes ferry's hooks where no hook exists yet; an existing hook (the user's or git-annex's) is left alone.
 * A core.hooksPath directory is the user's (often shared by many repositories) and is not written to.
 */
async function installHooks(repo: AnnexRepo): Promise<void> {
  if (repo.config.get('core.hooksPath')) return;
  const dir = join(repo.gitDir, 'hooks');
  await mkdir(dir, { recursive: true });
  for (const [name, command] of Object.entries(FERRY_HOOKS)) {
    const file = join(dir, name);
    const existing = await readOptional(file);
    if (existing !== '' && !existing.includes(FERRY_HOOK_MARK)) continue;
    await writeFile(file, `#!/bin/sh\n${FERRY_HOOK_MARK}\n${command}\n`);
    await chmod(file, 0o755);
  }
}

async function readOptional(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if (isNotFound(err)) return '';
    throw err;
  }
}
