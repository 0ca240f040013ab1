// What the transfer queue's tests and their child process share (not a test file itself): a repository with
// an unlocked annexed file and a chunked, encrypted directory special remote, the queue opened over it
// in-process, and waiting on the EventBus (never on the clock: a deadline only turns a hang into a failure).
import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { EventBus, SelfWrites } from '../../src/assistant/index.js';
import type { AssistantEvent } from '../../src/assistant/index.js';
import { TransferQueue } from '../../src/assistant/queue/index.js';
import type { TransferQueueOptions } from '../../src/assistant/queue/index.js';
import { Annex, AnnexRepo } from '../../src/annex/index.js';
import { openRemotes } from '../../src/remotes/index.js';
import type { AfterHook } from '../helpers/tmp.js';
import { makeRepo } from '../helpers/repo.js';
import { ferry, git } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';

export const CHUNK = 64 * 1024;

export interface CloudRepo {
  readonly repo: string;
  readonly store: string;
  /** The key of each file, by path. */
  readonly keys: Record<string, string>;
}

/** A ferry repository with `files` added unlocked and committed, and special remote `cloud` (chunk=64KiB, encryption=shared). */
export async function cloudRepo(t: AfterHook, files: Record<string, Buffer>): Promise<CloudRepo> {
  const repo = await makeRepo(t, { files });
  await ferry(repo, ['add', '--unlocked', ...Object.keys(files)]);
  await git(repo, ['commit', '-q', '-m', 'add']);
  const store = join(await tempDir(t), 'store');
  await mkdir(store);
  await ferry(repo, ['initremote', 'cloud', 'type=directory', `directory=${store}`, 'encryption=shared', `chunk=${CHUNK}`]);
  const keys: Record<string, string> = {};
  for (const path of Object.keys(files)) {
    keys[path] = basename((await git(repo, ['cat-file', '-p', `HEAD:${path}`])).stdout.trim());
  }
  return { repo, store, keys };
}

export interface OpenQueue {
  readonly annex: Annex;
  readonly bus: EventBus;
  readonly selfWrites: SelfWrites;
  readonly queue: TransferQueue;
  /** Every event published, in order. */
  readonly events: AssistantEvent[];
  close(): Promise<void>;
}

export async function openQueue(repo: string, opts: Partial<TransferQueueOptions> = {}): Promise<OpenQueue> {
  const r = await AnnexRepo.open(repo);
  const annex = new Annex(r, r.requireInitialised());
  const opened = await openRemotes(annex);
  const bus = new EventBus({ capacity: 100_000 });
  const events: AssistantEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const selfWrites = new SelfWrites();
  const queue = await TransferQueue.open({ annex, remotes: opened.remotes, bus, selfWrites, ...opts });
  let closed = false;
  return {
    annex, bus, selfWrites, queue, events,
    async close() {
      if (closed) return;
      closed = true;
      await queue.close();
      opened.close();
      annex.close();
    },
  };
}

/** The first event (already published, or to come) that `match` accepts; rejects after `deadlineMs`. */
export function waitForEvent<T extends AssistantEvent['type']>(q: OpenQueue, type: T, match: (e: Extract<AssistantEvent, { type: T }>) => boolean = () => true,
  deadlineMs = 120_000): Promise<Extract<AssistantEvent, { type: T }>> {
  const accepts = (e: AssistantEvent): e is Extract<AssistantEvent, { type: T }> => e.type === type && match(e as Extract<AssistantEvent, { type: T }>);
  const seen = q.events.find(accepts);
  if (seen) return Promise.resolve(seen);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no ${type} event within ${deadlineMs} ms; events: ${JSON.stringify(q.events.slice(-20))}`));
    }, deadlineMs);
    const stop = q.bus.subscribe((e) => {
      if (!accepts(e)) return;
      clearTimeout(timer);
      stop();
      resolve(e);
    });
  });
}

export function eventsOf(q: OpenQueue, transfer: string): AssistantEvent[] {
  return q.events.filter((e) => 'transfer' in e && e.transfer === transfer);
}
