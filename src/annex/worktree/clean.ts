// The clean and smudge sides of the annex filter (annex-format.md §2.5), as git-annex behaves:
// - clean (work tree → git): a pointer passes through; otherwise the file is annexed if annex.largefiles
//   says so, or, with no largefiles setting, if the path is already annexed in the index; annexed content
//   goes into the object store (unlocked: a copy; annex.thin: a hard link) and git gets the pointer. An
//   unchanged file is answered from the inode cache without hashing it again.
// - smudge (git → work tree) never emits content: it echoes the blob and notes pointer files, whose
//   content `ferry smudge --update` (the post-checkout/post-merge hook) then fills in.
import { createHash, randomBytes } from 'node:crypto';
import { lstat, mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CheckAttr } from '../../git/index.js';
import { DurableBatch, FileSystemError, fileSystemError, isNotFound } from '../../util/index.js';
import type { Annex } from '../annex.js';
import { locationLogPath, presenceChange } from '../branch/index.js';
import { DEFAULT_BACKEND, backendByName, formatKey, keyFromDigest } from '../keys/index.js';
import { withAnnexLock } from '../locking.js';
import { AddPolicy } from './add-policy.js';
import { InodeCache } from './inode-cache.js';
import { formatPointer, keyOfSymlinkTarget, MAX_POINTER_SIZE, parsePointer } from './pointer.js';
import { SmudgeLog } from './smudge-log.js';
import { Spool } from './spool.js';


/**
 * What clean sends back to git: the pointer text, or the bytes git sent (spooled: git writes a file's whole
 * content before it reads the answer, so answering early could deadlock on a full pipe).
 */
export type CleanResult = { readonly pointer: string } | { readonly passthrough: AsyncIterable<Buffer>; dispose(): Promise<void> };

export class Filter {
  private readonly attrs: CheckAttr;
  private readonly inodes: InodeCache;
  private readonly smudges: SmudgeLog;
  private policy: AddPolicy | undefined;

  constructor(private readonly annex: Annex) {
    this.attrs = new CheckAttr(annex.repo.git, ['annex.largefiles', 'annex.backend']);
    this.inodes = new InodeCache(annex.repo.layout.ferryDir);
    this.smudges = new SmudgeLog(annex.repo.layout.ferryDir);
  }

  close(): void {
    this.attrs.close();
  }

  /** Cleans `path`, whose content git streams as `content`. */
  async clean(path: string, content: AsyncIterable<Buffer>): Promise<CleanResult> {
    const iterator = content[Symbol.asyncIterator]();
    // A pointer (small, naming /annex/objects/...) passes through untouched.
    const head: Buffer[] = [];
    let headSize = 0;
    let done = false;
    while (!done && headSize <= MAX_POINTER_SIZE) {
      const r = await iterator.next();
      if (r.done) done = true;
      else {
        head.push(r.value);
        headSize += r.value.length;
      }
    }
    const rest: AsyncIterable<Buffer> = { [Symbol.asyncIterator]: () => iterator };
    if ((done && parsePointer(Buffer.concat(head)) !== undefined) || !(await this.shouldAnnex(path))) {
      const spool = new Spool(this.annex.repo.layout.otherTmpDir);
      for (const b of head) await spool.write(b);
      for await (const b of rest) await spool.write(b);
      return { passthrough: spool.read(), dispose: () => spool.dispose() };
    }
    return { pointer: formatPointer(await this.annexContent(path, head, rest)) };
  }

  /** Smudge: the blob goes to the work tree unchanged; pointers are noted for `smudge --update`. */
  async smudge(path: string, blob: Buffer): Promise<void> {
    const key = parsePointer(blob);
    if (key !== undefined) await this.smudges.add(path, key);
  }

  private async shouldAnnex(path: string): Promise<boolean> {
    this.policy ??= await AddPolicy.load(this.annex);
    const attrs = await this.attrs.get(path);
    const largefiles = attrs.get('annex.largefiles');
    const size = await lstat(this.annex.repo.absPath(path)).then((s) => s.size, () => 0);
    if (this.policy.hasLargefiles(largefiles)) return this.policy.isLarge({ path, size }, largefiles);
    // No largefiles setting: annex only what the index already has annexed (so `git add` of a modified
    // unlocked file keeps it annexed, and of a new file puts it in git), as git-annex does.
    const indexed = await this.annex.repo.catFile.get(`:${path}`);
    if (!indexed) return false;
    if (indexed.type === 'blob' && (parsePointer(indexed.content) !== undefined || keyOfSymlinkTarget(indexed.content.toString('utf8')) !== undefined)) return true;
    return false;
  }

  /** Hashes the content git sends while writing it to a temp file, then moves that in as the object. */
  private async annexContent(path: string, head: Buffer[], rest: AsyncIterable<Buffer>): Promise<string> {
    const abs = this.annex.repo.absPath(path);
    const before = await lstat(abs).catch(() => undefined);
    if (before) {
      const cached = await this.inodes.lookup(path, before);
      if (cached !== undefined && await this.annex.objects.has(cached)) {
        for await (const _ of rest) { /* drain what git sends; the cached key stands */ }
        return cached;
      }
    }
    const layout = this.annex.repo.layout;
    const attrs = await this.attrs.get(path);
    const backend = backendByName(attrs.get('annex.backend') ?? this.annex.repo.config.get('annex.backend') ?? DEFAULT_BACKEND);
    return withAnnexLock(layout, layout.otherTmpLock, 'shared', async () => {
      await mkdir(layout.otherTmpDir, { recursive: true });
      const tmp = join(layout.otherTmpDir, `ferry-clean-${process.pid}-${randomBytes(4).toString('hex')}`);
      try {
        const hash = createHash(backend.hash ?? 'sha256');
        let size = 0;
        const fh = await open(tmp, 'wx', 0o644);
        try {
          const write = async (b: Buffer) => {
            hash.update(b);
            size += b.length;
            await fh.write(b);
          };
          for (const b of head) await write(b);
          for await (const b of rest) await write(b);
          await fh.sync();
        } finally {
          await fh.close();
        }
        if (!backend.hash) throw new FileSystemError(`backend ${backend.name} cannot be used by the clean filter`, { data: { backend: backend.name } });
        const key = formatKey(keyFromDigest(backend, hash.digest('hex'), size, path));
        const durable = new DurableBatch();
        await this.annex.objects.renameIn(key, tmp, durable);
        await durable.flush(layout.objectsDir);
        await this.annex.branch.change(new Map([[locationLogPath(key), presenceChange(this.annex.uuid, true)]]));
        const after = await lstat(abs).catch(() => undefined);
        if (before && after && after.ino === before.ino && after.size === size && after.mtimeMs === before.mtimeMs) {
          await this.inodes.record([{ path, stat: after, key }]);
        }
        return key;
      } catch (err) {
        await rm(tmp, { force: true });
        if (isNotFound(err)) throw fileSystemError(err, 'clean', path);
        throw err;
      }
    });
  }
}
