// Writing many objects in one `git fast-import`: blobs, and a commit of files changed on top of a parent,
// with its trees written into the same pack. `git write-tree` would write each changed tree as a loose
// object; a 5,000-file add touches ~8,000 trees of the git-annex branch (hashdirlower fans out 4096 ways),
// which took seconds. fast-import keeps small imports loose (fastimport.unpackLimit) and packs large ones.
import { hostname, userInfo } from 'node:os';
import { GitError } from './errors.js';
import { runGit, spawnGit, waitForGit } from './run.js';
import type { GitEnv } from './run.js';

export interface FileChange {
  /** Path in the tree, '/'-separated. */
  readonly path: string;
  readonly content: string | Uint8Array;
}

export interface CommitSpec {
  /** A scratch ref fast-import may set; the caller moves the real branch (atomically) and deletes it. */
  readonly scratchRef: string;
  readonly parent: string;
  readonly message: string;
  readonly files: readonly FileChange[];
}

export interface ImportResult {
  /** Ids of the blobs, in the order given (standalone blobs first, then the commit's files). */
  readonly blobs: string[];
  readonly commit: string | undefined;
}

const identities = new Map<string, string>();

/** "Name <email> TIME TZ" as git would write it; falls back to user@host where git has no identity. */
export async function committerIdent(ctx: GitEnv): Promise<string> {
  const known = identities.get(ctx.cwd);
  const now = `${Math.floor(Date.now() / 1000)} ${timezone()}`;
  if (known) return `${known} ${now}`;
  const r = await runGit(ctx, ['var', 'GIT_COMMITTER_IDENT'], { okCodes: [128] });
  let who: string;
  if (r.code === 0) who = r.stdout.toString('utf8').trim().replace(/ \d+ [+-]\d{4}$/, '');
  else {
    let user = 'ferry';
    try {
      user = userInfo().username;
    } catch {
      // no passwd entry: keep the generic name
    }
    who = `${user} <${user}@${hostname()}>`;
  }
  identities.set(ctx.cwd, who);
  return `${who} ${now}`;
}

function timezone(): string {
  const offset = -new Date().getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const abs = Math.abs(offset);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')}`;
}

/** Imports `blobs` and, if given, a commit; returns their ids. One process, however many objects. */
export async function fastImport(ctx: GitEnv, blobs: readonly (string | Uint8Array)[], commit?: CommitSpec): Promise<ImportResult> {
  const total = blobs.length + (commit?.files.length ?? 0);
  if (total === 0 && !commit) return { blobs: [], commit: undefined };
  const ident = commit ? await committerIdent(ctx) : '';
  // --force: a scratch ref left by a killed run may point anywhere; it is ours to overwrite.
  const args = ['fast-import', '--quiet', '--done', ...(commit ? ['--force'] : [])];
  const child = spawnGit(ctx, args);
  const done = waitForGit(child, args);
  const out: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stdin.on('error', () => undefined); // a failing fast-import is reported by `done`
  const write = (data: string | Uint8Array) => child.stdin.write(data);
  const blob = (mark: number, data: string | Uint8Array) => {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    write(`blob\nmark :${mark}\ndata ${bytes.length}\n`);
    write(bytes);
    write('\n');
  };
  blobs.forEach((b, i) => blob(i + 1, b));
  const files = commit?.files ?? [];
  files.forEach((f, i) => blob(blobs.length + i + 1, f.content));
  const commitMark = total + 1;
  if (commit) {
    const message = Buffer.from(commit.message, 'utf8');
    write(`commit ${commit.scratchRef}\nmark :${commitMark}\ncommitter ${ident}\ndata ${message.length}\n`);
    write(message);
    write(`\nfrom ${commit.parent}\n`);
    files.forEach((f, i) => write(`M 100644 :${blobs.length + i + 1} ${quotePath(f.path)}\n`));
    write('\n');
  }
  // get-mark answers on stdout (cat-blob-fd defaults to stdout), one id per line.
  for (let m = 1; m <= total; m++) write(`get-mark :${m}\n`);
  if (commit) write(`get-mark :${commitMark}\n`);
  child.stdin.end('done\n');
  await done;
  const ids = Buffer.concat(out).toString('utf8').split('\n').filter(Boolean);
  const expected = total + (commit ? 1 : 0);
  if (ids.length !== expected) throw new GitError(args, 0, `fast-import returned ${ids.length} ids for ${expected} objects`);
  return { blobs: ids.slice(0, total), commit: commit ? ids[total] : undefined };
}

/** fast-import's path syntax: C-style quoted when the path has a quote, backslash, newline or leading space. */
function quotePath(path: string): string {
  if (!/["\\\n]|^ /.test(path)) return path;
  return `"${path.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}
