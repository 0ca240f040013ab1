// git-remote-ferry's composition root (ARCHITECTURE "Layers": sync/ resolves a ferry:: URL and hands cloudgit
// a Store and keys). git runs `git-remote-ferry <remote> <url>` with GIT_DIR set and speaks the helper
// protocol on stdin/stdout; everything for a person goes to stderr. Exit status: 0, or 1 with a message.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AnnexRepo } from '../annex/index.js';
import { runHelper } from '../cloudgit/index.js';
import { closeCryptoWorkers } from '../crypto/index.js';
import { NotAGitRepositoryError, runGit } from '../git/index.js';
import { FerryError, errorMessage, setLogSink } from '../util/index.js';
import { announcePush, pushNotifiers } from './cloud-notify.js';
import { absoluteGitDir, resolveCloud } from './cloud-remote.js';

function say(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** The repository git runs the helper for; outside one (`git ls-remote ferry::…`), a temporary bare one. */
async function openRepository(): Promise<{ repo: AnnexRepo; temporary?: string }> {
  try {
    return { repo: await AnnexRepo.open(process.cwd()) };
  } catch (err) {
    if (!(err instanceof NotAGitRepositoryError)) throw err;
    const temporary = await mkdtemp(join(tmpdir(), 'ferry-ls-remote-'));
    await runGit({ cwd: temporary }, ['init', '-q', '--bare']);
    return { repo: await AnnexRepo.open(temporary), temporary };
  }
}

export async function gitRemoteFerry(argv: readonly string[]): Promise<number> {
  const [remoteArg, urlArg] = argv;
  const url = urlArg ?? remoteArg;
  if (url === undefined || url === '--help' || url === '-h') {
    say([
      'usage: git-remote-ferry <remote> [<url>]',
      'git runs this for ferry:: URLs (git clone/fetch/push/ls-remote ferry::…); you do not run it yourself.',
      '  ferry::NAME                        special remote NAME of this repository (its store and cipher)',
      '  ferry::/path, ferry::s3+https://HOST/BUCKET/PREFIX, ferry::s3://BUCKET/PREFIX',
      '                                     a store named directly, for cloning; the secret comes from',
      '                                     FERRY_SECRET or FERRY_SECRET_FILE',
      'See the README ("Git in the cloud") and docs/cloudgit-format.md.',
    ].join('\n'));
    return url === undefined ? 2 : 0;
  }
  absoluteGitDir();
  // This process is a composition root too: warnings of every layer go to git's stderr.
  setLogSink((level, message) => {
    if (level === 'warn' || process.env.FERRY_DEBUG) say(`ferry: ${level === 'warn' ? 'warning: ' : ''}${message}`);
  });
  let temporary: string | undefined;
  let close: (() => Promise<void>) | undefined;
  try {
    const opened = await openRepository();
    temporary = opened.temporary;
    const { repo } = opened;
    const remote = remoteArg !== undefined && repo.config.get(`remote.${remoteArg}.url`) !== undefined ? remoteArg : undefined;
    const resolved = await resolveCloud(repo, remote, url.replace(/^ferry::/, ''), say);
    close = () => resolved.close();
    // A push that publishes a manifest (the seq rises) is announced, as `ferry sync` does; the local state
    // is read for it only when the remote has notifiers to announce through.
    const announceVia = remote !== undefined ? pushNotifiers(repo, remote) : [];
    const before = announceVia.length > 0 ? (await resolved.cloud.progress()).seq : 0;
    await runHelper(resolved.cloud, repo.git, { input: process.stdin, output: process.stdout, say });
    if (remote !== undefined && announceVia.length > 0 && (await resolved.cloud.progress()).seq > before) await announcePush(repo, remote, resolved, announceVia);
    return 0;
  } catch (err) {
    say(`fatal: ferry: ${errorMessage(err)}`);
    if (err instanceof FerryError && err.hint) say(`hint: ${err.hint}`);
    return 1;
  } finally {
    // git may still hold our stdin open after an error: stop reading so the process can end.
    process.stdin.destroy();
    await close?.();
    await closeCryptoWorkers();
    if (temporary !== undefined) await rm(temporary, { recursive: true, force: true });
  }
}
