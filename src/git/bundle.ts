// git bundles (gitformat-bundle(5), v2) written and applied for cloudgit. ferry writes the header itself and
// the pack with `git pack-objects --revs --thin`, because `git bundle create` wants refs for its tips (a
// consolidated bundle's tips are commits no ref names) and refuses an empty bundle; it applies bundles with
// `git bundle unbundle`, which checks the prerequisites and indexes the pack, and never touches a ref.
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fsyncPath } from '../util/index.js';
import { GitError } from './errors.js';
import { gitText, runGit, spawnGit, waitForGit } from './run.js';
import type { GitEnv } from './run.js';

const SIGNATURE = '# v2 git bundle\n';

export interface BundleTip {
  /** The name the bundle gives the tip (any refname; unbundling does not create it). */
  readonly ref: string;
  readonly sha: string;
}

export interface WrittenBundle {
  /** Bytes written to the destination. */
  readonly size: number;
  /** Commits the reader must already have (gitformat-bundle "prerequisites"). */
  readonly prerequisites: readonly string[];
  /** Objects in the pack. */
  readonly objects: number;
  /** The tips the header names. */
  readonly tips: readonly BundleTip[];
  /**
   * Whether "what the tips reach and the prerequisites do not" is exactly what the bundle holds. Always for
   * a push bundle; not for a merged one when another part's prerequisite descends from a commit it holds (a
   * peer built on our commit, and we built on theirs): then only its parts describe it.
   */
  readonly exact: boolean;
}

/** Which of `shas` are objects in this repository (one cat-file for all of them). */
export async function presentObjects(ctx: GitEnv, shas: Iterable<string>): Promise<Set<string>> {
  const list = [...new Set(shas)];
  if (list.length === 0) return new Set();
  const { stdout } = await runGit(ctx, ['cat-file', '--batch-check=%(objectname)'], { input: `${list.join('\n')}\n` });
  const found = new Set<string>();
  for (const line of stdout.toString('utf8').split('\n')) if (/^[0-9a-f]{40,64}$/.test(line)) found.add(line);
  return found;
}

/**
 * Writes a bundle of what `tips` reach and `exclude` does not to `dest` (created or truncated). Exclusions
 * the repository does not have are ignored. Returns undefined, and leaves `dest` empty, when there is nothing
 * new (every tip object is reachable from the exclusions). Work grows with what is new, not with history.
 */
export async function writeBundle(ctx: GitEnv, tips: readonly BundleTip[], exclude: Iterable<string>, dest: string): Promise<WrittenBundle | undefined> {
  const tipShas = [...new Set(tips.map((t) => t.sha))];
  const not = [...(await presentObjects(ctx, exclude))];
  const revs = `${tipShas.join('\n')}\n${not.map((sha) => `^${sha}\n`).join('')}`;
  // Boundary commits (rev-list --boundary "-" lines) are what the reader must have; a tag whose commit is not
  // new needs that commit too.
  const walk = (await gitText(ctx, ['rev-list', '--boundary', '--stdin'], { input: revs })).split('\n').filter((l) => l !== '');
  const fresh = new Set(walk.filter((l) => !l.startsWith('-')));
  const prerequisites = new Set(walk.filter((l) => l.startsWith('-')).map((l) => l.slice(1)));
  const peeled = (await gitText(ctx, ['rev-parse', ...tipShas.map((sha) => `${sha}^{commit}`)], { okCodes: [128] })).split('\n');
  for (const commit of peeled) if (/^[0-9a-f]{40,64}$/.test(commit) && !fresh.has(commit)) prerequisites.add(commit);

  const header = SIGNATURE + [...prerequisites].map((sha) => `-${sha}\n`).join('') + tips.map((t) => `${t.sha} ${t.ref}\n`).join('') + '\n';
  await writePack(ctx, header, dest, ['pack-objects', '--revs', '--thin', '--stdout', '--delta-base-offset', '-q'], (stdin) => {
    stdin.end(revs);
    return Promise.resolve();
  });
  const objects = await packObjectCount(dest, Buffer.byteLength(header));
  if (objects === 0) {
    await (await open(dest, 'w')).close();
    return undefined;
  }
  return { size: (await stat(dest)).size, prerequisites: [...prerequisites], objects, tips, exact: true };
}

/** The object count of the pack that starts at `offset` in `path` (pack header: "PACK", version, count). */
async function packObjectCount(path: string, offset: number): Promise<number> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(12);
    const { bytesRead } = await handle.read(head, 0, 12, offset);
    if (bytesRead < 12 || head.toString('latin1', 0, 4) !== 'PACK') throw new GitError(['pack-objects'], 0, `no pack in ${path}`);
    return head.readUInt32BE(8);
  } finally {
    await handle.close();
  }
}

export interface BundlePart {
  readonly tips: readonly BundleTip[];
  readonly prerequisites: readonly string[];
}

/**
 * Writes one bundle holding the objects of several (`parts`, each a bundle's tips and prerequisites, whose
 * objects this repository has): the union of what each part alone holds, so nothing any of them held is lost
 * even when one part's prerequisite reaches into another part. Its prerequisites are the parts' prerequisites
 * that none of the parts holds. When those and the tips describe the union exactly (`exact`), the pack is thin
 * against the prerequisites, as a push bundle is; otherwise it is a full pack of the parts' objects.
 */
export async function writeMergedBundle(ctx: GitEnv, parts: readonly BundlePart[], dest: string): Promise<WrittenBundle> {
  const revs = (p: BundlePart): string => `${p.tips.map((t) => t.sha).join('\n')}\n${p.prerequisites.map((sha) => `^${sha}\n`).join('')}`;
  const held = new Set<string>();
  for (const part of parts) {
    for (const line of (await gitText(ctx, ['rev-list', '--stdin'], { input: revs(part) })).split('\n')) if (line !== '') held.add(line);
  }
  const prerequisites = [...new Set(parts.flatMap((p) => p.prerequisites))].filter((sha) => !held.has(sha));
  const all = [...new Map(parts.flatMap((p) => p.tips).map((t) => [`${t.sha} ${t.ref}`, t])).values()];
  const whole = revs({ tips: all, prerequisites });
  const exact = Number(await gitText(ctx, ['rev-list', '--count', '--stdin'], { input: whole })) === held.size;
  // An exact merge needs only the tips no other tip contains (a thousand pushes of one branch: one tip).
  const tips = exact ? await outermost(ctx, all) : all;
  const header = SIGNATURE + prerequisites.map((sha) => `-${sha}\n`).join('') + tips.map((t) => `${t.sha} ${t.ref}\n`).join('') + '\n';
  const args = exact ? ['pack-objects', '--revs', '--thin', '--stdout', '--delta-base-offset', '-q'] : ['pack-objects', '--stdout', '--delta-base-offset', '-q'];
  await writePack(ctx, header, dest, args, async (stdin) => {
    if (exact) {
      stdin.end(whole);
      return;
    }
    for (const part of parts) {
      const listArgs = ['rev-list', '--objects', '--stdin'];
      const list = spawnGit(ctx, listArgs);
      const listed = waitForGit(list, listArgs);
      list.stdin.end(revs(part));
      for await (const chunk of list.stdout as AsyncIterable<Buffer>) if (!stdin.write(chunk)) await once(stdin, 'drain');
      await listed;
    }
    stdin.end();
  });
  const objects = await packObjectCount(dest, Buffer.byteLength(header));
  return { size: (await stat(dest)).size, prerequisites, objects, tips, exact };
}

/** The tips that no other tip's history contains; tips that are not commits (tags) are all kept. */
async function outermost(ctx: GitEnv, tips: readonly BundleTip[]): Promise<BundleTip[]> {
  const types = (await runGit(ctx, ['cat-file', '--batch-check=%(objectname) %(objecttype)'], { input: `${tips.map((t) => t.sha).join('\n')}\n` }))
    .stdout.toString('utf8').split('\n').map((l) => l.split(' '));
  const commits = new Set(types.filter(([, type]) => type === 'commit').map(([sha]) => sha!));
  if (commits.size < 2) return [...tips];
  const keep = new Set((await gitText(ctx, ['merge-base', '--independent', ...commits])).split('\n'));
  const seen = new Set<string>();
  return tips.filter((t) => (!commits.has(t.sha) || keep.has(t.sha)) && !seen.has(t.sha) && !!seen.add(t.sha));
}

/** Writes `header` then the pack `git <args>` makes from what `feed` writes to its stdin, to `dest`. */
async function writePack(ctx: GitEnv, header: string, dest: string, args: readonly string[], feed: (stdin: NodeJS.WritableStream & { end(data?: string): unknown }) => Promise<void>): Promise<void> {
  const out = createWriteStream(dest);
  out.write(header);
  const pack = spawnGit(ctx, args);
  const packed = waitForGit(pack, args);
  const written = pipeline(pack.stdout, out);
  try {
    await feed(pack.stdin);
  } catch (err) {
    pack.kill();
    await Promise.allSettled([packed, written]);
    throw err;
  }
  await Promise.all([packed, written]);
}

/** Where a bundle's pack starts: after the blank line that ends its header. */
async function headerEnd(path: string): Promise<number> {
  const handle = await open(path, 'r');
  try {
    let text = '';
    const chunk = Buffer.alloc(64 * 1024);
    for (let at = 0; ; at += chunk.length) {
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, at);
      text += chunk.subarray(0, bytesRead).toString('latin1');
      if (!text.startsWith(SIGNATURE.slice(0, Math.min(text.length, SIGNATURE.length)))) break;
      const end = text.indexOf('\n\n');
      if (end >= 0) return end;
      if (bytesRead < chunk.length) break;
    }
    throw new GitError(['bundle'], 0, `${path} is not a v2 git bundle`);
  } finally {
    await handle.close();
  }
}

/**
 * Adds the objects of the bundle at `path` to the repository (no refs), indexing its pack with git index-pack
 * (which checks every object's hash and the pack's checksum) in `tmpDir` and moving pack then index into
 * objects/pack. Unlike `git bundle unbundle` it does not insist that the prerequisite commits be here: a
 * full pack needs nothing, and a thin one only its delta bases — returned as 'missing-bases' when they are
 * not here yet (another bundle brings them), with nothing added.
 */
export async function applyBundle(ctx: GitEnv, path: string, tmpDir: string): Promise<'applied' | 'missing-bases'> {
  const end = await headerEnd(path);
  const pack = join(tmpDir, `incoming-${process.pid}-${Date.now()}.pack`);
  const idx = pack.replace(/\.pack$/, '.idx');
  const args = ['index-pack', '--stdin', '--fix-thin', pack];
  try {
    const child = spawnGit(ctx, args);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const closed = new Promise<number>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => resolve(code ?? -1));
    });
    await pipeline(createReadStream(path, { start: end + 2 }), child.stdin).catch(() => undefined); // git's exit tells
    const code = await closed;
    const stderr = Buffer.concat(err).toString('utf8');
    if (code !== 0) {
      if (/unresolved delta|missing|bad object/.test(stderr)) return 'missing-bases';
      throw new GitError(args, code, stderr);
    }
    const hash = /^(?:pack|keep)\t([0-9a-f]+)/m.exec(Buffer.concat(out).toString('utf8'))?.[1];
    if (hash === undefined) throw new GitError(args, code, 'index-pack printed no pack name');
    const packDir = resolve(ctx.cwd, await gitText(ctx, ['rev-parse', '--git-path', 'objects/pack']));
    for (const file of [pack, idx]) await fsyncPath(file);
    await rename(pack, join(packDir, `pack-${hash}.pack`));
    await rename(idx, join(packDir, `pack-${hash}.idx`));
    await fsyncPath(packDir);
    return 'applied';
  } finally {
    await rm(pack, { force: true });
    await rm(idx, { force: true });
  }
}
