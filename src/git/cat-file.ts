// A long-lived `git cat-file --batch-command`: one process answers every object read (and size query) of a
// command, requests pipelined and answered in order. Reading 10,000 location logs costs one process.
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { GitError } from './errors.js';
import { spawnGit } from './run.js';
import type { GitEnv } from './run.js';

export interface GitObject {
  readonly sha: string;
  readonly type: string;
  readonly content: Buffer;
}

export interface GitObjectInfo {
  readonly sha: string;
  readonly type: string;
  readonly size: number;
}

interface Pending {
  readonly withContent: boolean;
  resolve(o: GitObject | GitObjectInfo | undefined): void;
  reject(e: unknown): void;
}

export class CatFile {
  private child: ChildProcessWithoutNullStreams | undefined;
  private readonly queue: Pending[] = [];
  private buffer: Buffer = Buffer.alloc(0);
  private stderr = '';

  constructor(private readonly ctx: GitEnv) {}

  /** The object named by `spec` (a sha, `ref:path`, `:path` in the index), or undefined when it does not exist. */
  get(spec: string): Promise<GitObject | undefined> {
    return this.request('contents', spec) as Promise<GitObject | undefined>;
  }

  /** The subtrees of the tree (or commit's tree) named by `spec`, name → tree id; undefined when absent. */
  async subtrees(spec: string): Promise<Map<string, string> | undefined> {
    const o = await this.get(`${spec}^{tree}`);
    return o === undefined ? undefined : subtreesOf(o.content);
  }

  /** Type and size of the object named by `spec`, without its content. */
  info(spec: string): Promise<GitObjectInfo | undefined> {
    return this.request('info', spec) as Promise<GitObjectInfo | undefined>;
  }

  private request(command: 'contents' | 'info', spec: string): Promise<GitObject | GitObjectInfo | undefined> {
    if (spec.includes('\n')) return Promise.reject(new Error(`object name contains a newline: ${JSON.stringify(spec)}`));
    const child = this.start();
    return new Promise((resolve, reject) => {
      if (this.queue.length === 0) setRef(child, true);
      this.queue.push({ withContent: command === 'contents', resolve, reject });
      child.stdin.write(`${command} ${spec}\n`);
    });
  }

  /** The content of `spec` as UTF-8 text, or undefined when absent. */
  async text(spec: string): Promise<string | undefined> {
    const o = await this.get(spec);
    return o?.content.toString('utf8');
  }

  close(): void {
    const child = this.child;
    this.child = undefined;
    child?.stdin.end();
  }

  private start(): ChildProcessWithoutNullStreams {
    if (this.child) return this.child;
    // Without ambiguity warnings, a full ref name resolves with one lookup instead of trying all ten
    // of git's ref patterns (measured: ten stats per request).
    const args = ['-c', 'core.warnAmbiguousRefs=false', 'cat-file', '--batch-command'];
    const child = spawnGit(this.ctx, args);
    child.stdout.on('data', (b: Buffer) => this.onData(b));
    child.stderr.on('data', (b: Buffer) => { this.stderr += b.toString('utf8'); });
    const fail = (e: unknown) => {
      for (const p of this.queue.splice(0)) p.reject(e);
      if (this.child === child) this.child = undefined;
    };
    child.on('error', (e) => fail(new GitError(args, -1, '', e)));
    child.on('close', (code) => {
      // After close(), a request starts a new child on this same queue: the old one's exit is not its failure.
      if (this.child !== undefined && this.child !== child) return;
      if (this.queue.length > 0) fail(new GitError(args, code ?? -1, this.stderr || 'cat-file exited early'));
    });
    child.stdin.on('error', () => undefined); // reported through 'close' with the pending requests
    setRef(child, false);
    this.child = child;
    return child;
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const head = this.queue[0];
      if (!head) {
        if (this.child) setRef(this.child, false);
        return;
      }
      const nl = this.buffer.indexOf(0x0a);
      if (nl < 0) return;
      const header = this.buffer.subarray(0, nl).toString('utf8');
      if (header.endsWith(' missing') || header.endsWith(' ambiguous')) {
        this.buffer = this.buffer.subarray(nl + 1);
        this.queue.shift();
        head.resolve(undefined);
        continue;
      }
      const [sha, type, sizeText] = header.split(' ');
      const size = Number(sizeText);
      if (!sha || !type || !Number.isSafeInteger(size)) {
        this.queue.shift();
        head.reject(new GitError(['cat-file', '--batch-command'], 0, `unexpected output: ${header}`));
        continue;
      }
      if (!head.withContent) {
        this.buffer = this.buffer.subarray(nl + 1);
        this.queue.shift();
        head.resolve({ sha, type, size });
        continue;
      }
      if (this.buffer.length < nl + 1 + size + 1) return;
      const content = Buffer.from(this.buffer.subarray(nl + 1, nl + 1 + size));
      this.buffer = this.buffer.subarray(nl + 1 + size + 1);
      this.queue.shift();
      head.resolve({ sha, type, content });
    }
  }
}

/** An idle batch process must not keep a command alive; one with requests in flight must. */
function setRef(child: ChildProcessWithoutNullStreams, on: boolean): void {
  for (const h of [child, child.stdout, child.stdin, child.stderr] as { ref(): void; unref(): void }[]) {
    if (on) h.ref();
    else h.unref();
  }
}

/** The directory entries of a raw tree object: records of "MODE NAME\0" and a 20-byte id. */
function subtreesOf(tree: Buffer): Map<string, string> {
  const dirs = new Map<string, string>();
  for (let at = 0; at < tree.length;) {
    const space = tree.indexOf(0x20, at);
    const nul = tree.indexOf(0, space);
    if (space < 0 || nul < 0 || nul + 21 > tree.length) throw new GitError(['cat-file', '--batch-command'], 0, `malformed tree object at byte ${at}`);
    // Trees have mode 40000, the only mode starting with '4'.
    if (tree[at] === 0x34) dirs.set(tree.toString('utf8', space + 1, nul), tree.toString('hex', nul + 1, nul + 21));
    at = nul + 21;
  }
  return dirs;
}
