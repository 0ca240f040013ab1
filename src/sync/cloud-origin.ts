// A clone made from a self-contained ferry:: URL becomes an everyday one once the repository is an annex
// (docs/cloudgit-format.md "URLs"): `ferry init` enables the special remote the cloud belongs to (found by
// the uuid the clone recorded) and renames the git remote to NAME-git with URL ferry::NAME, with annex-ignore
// (git has no content there) and prune (per-peer refs come and go). `ferry renameremote` keeps ferry::
// URLs pointing at the renamed special remote (git-annex's renameremote leaves them stale).
import type { Annex } from '../annex/index.js';
import { runGit } from '../git/index.js';
import { enableRemote, enabledSpecialRemotes, specialRemoteRecords } from '../remotes/index.js';
import { errorMessage } from '../util/index.js';
import { cloudGitRemotes } from './cloud-gc.js';
import { isSelfContained } from './cloud-remote.js';

export interface AdoptedCloud {
  readonly from: string;
  readonly to: string;
  readonly special: string;
}

/** Marks a ferry:: git remote as ferry makes them: git-annex's content lookups skip it, stale peer refs are pruned. */
async function markCloudGitRemote(annex: Annex, name: string): Promise<void> {
  await annex.repo.setConfig(`remote.${name}.annex-ignore`, 'true');
  await annex.repo.setConfig(`remote.${name}.prune`, 'true');
}

/** The local parameters a self-contained URL gives the special remote (a directory store's path). */
function localParams(url: string): Map<string, string> {
  const base = url.replace(/^ferry::/, '').replace(/\?.*$/, '');
  return base.startsWith('s3') ? new Map<string, string>() : new Map([['directory', base.startsWith('file://') ? new URL(base).pathname : base]]);
}

/** Every self-contained ferry:: remote of this clone turned into NAME-git = ferry::NAME; failures are reported, not thrown. */
export async function adoptCloudOrigins(annex: Annex, cwd: string): Promise<{ adopted: AdoptedCloud[]; failed: { remote: string; reason: string }[] }> {
  const adopted: AdoptedCloud[] = [];
  const failed: { remote: string; reason: string }[] = [];
  for (const [remote, url] of cloudGitRemotes(annex)) {
    const uuid = annex.repo.config.get(`remote.${remote}.ferry-uuid`);
    if (uuid === undefined || !isSelfContained(url.slice('ferry::'.length))) continue;
    try {
      const record = (await specialRemoteRecords(annex)).find((r) => r.uuid === uuid);
      const special = record?.config.get('name');
      if (special === undefined) throw new Error(`remote.log has no special remote with uuid ${uuid} (is the git-annex branch here?)`);
      if (!enabledSpecialRemotes(annex).some((e) => e.uuid === uuid)) await enableRemote(annex, special, localParams(url), cwd);
      const to = `${special}-git`;
      if (remote !== to) await runGit({ cwd: annex.repo.gitDir }, ['remote', 'rename', remote, to]);
      await annex.repo.setConfig(`remote.${to}.url`, `ferry::${special}${url.includes('plaintext=yes') ? '?plaintext=yes' : ''}`);
      await markCloudGitRemote(annex, to);
      adopted.push({ from: remote, to, special });
    } catch (err) {
      failed.push({ remote, reason: errorMessage(err) });
    }
  }
  if (adopted.length > 0) await annex.repo.reloadConfig();
  return { adopted, failed };
}

/** Points every ferry::OLD git remote of this clone at ferry::NEW; returns the remotes changed. */
export async function retargetCloudRemotes(annex: Annex, oldName: string, newName: string): Promise<string[]> {
  const changed: string[] = [];
  for (const [remote, url] of cloudGitRemotes(annex)) {
    const m = /^ferry::([^?]*)(\?.*)?$/.exec(url);
    if (m?.[1] !== oldName) continue;
    await annex.repo.setConfig(`remote.${remote}.url`, `ferry::${newName}${m[2] ?? ''}`);
    changed.push(remote);
  }
  return changed;
}
