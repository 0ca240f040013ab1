// The watcher and the committer wired as the daemon will wire them (one serialized worker), for tests; and
// waiting on the event stream with a timeout, never on a sleep.
import { Annex, AnnexRepo } from '../../src/annex/index.js';
import { Committer, EventBus, Watcher } from '../../src/assistant/index.js';
import type { AssistantEvent, AssistantEventBody, ChangeBatch, SelfWrites } from '../../src/assistant/index.js';

export interface Pipeline {
  readonly bus: EventBus;
  readonly annex: Annex;
  readonly watcher: Watcher;
  readonly batches: ChangeBatch[];
  /** Called (and forgotten) at the next batch. */
  readonly batchWaiters: (() => void)[];
  close(): Promise<void>;
}

export interface PipelineOptions {
  readonly quietMs?: number;
  readonly maxWaitMs?: number;
  readonly selfWrites?: SelfWrites;
  /** Only watch: batches are collected, nothing is committed. */
  readonly watchOnly?: boolean;
}

export async function startPipeline(dir: string, opts: PipelineOptions = {}): Promise<Pipeline> {
  const repo = await AnnexRepo.open(dir);
  const annex = new Annex(repo, repo.requireInitialised());
  const bus = new EventBus({ capacity: 100_000 });
  const batches: ChangeBatch[] = [];
  const batchWaiters: (() => void)[] = [];
  let worker: Promise<unknown> = Promise.resolve();
  const watcher: Watcher = new Watcher({
    root: repo.absPath(''), git: repo.git, bus, selfWrites: opts.selfWrites, quietMs: opts.quietMs, maxWaitMs: opts.maxWaitMs,
    onBatch(batch) {
      batches.push(batch);
      for (const w of batchWaiters.splice(0)) w();
      if (opts.watchOnly) return;
      worker = worker.then(() => committer.commit(batch)).catch((err: unknown) => {
        bus.publish({ type: 'error', part: 'committer', message: String(err) });
      });
    },
  });
  const committer = new Committer(annex, { bus, requeue: (paths) => watcher.requeue(paths), quietMs: opts.quietMs, selfWrites: opts.selfWrites });
  await watcher.start();
  return {
    bus, annex, watcher, batches, batchWaiters,
    async close() {
      await watcher.close();
      await worker;
      annex.close();
    },
  };
}

type Body<T extends AssistantEventBody['type']> = Extract<AssistantEvent, { type: T }>;

/** The first event of `type` after event `after` that `match` accepts; rejects after `timeoutMs`. */
export function waitForEvent<T extends AssistantEventBody['type']>(
  bus: EventBus, type: T, match: (e: Body<T>) => boolean = () => true, after = 0, timeoutMs = 60_000,
): Promise<Body<T>> {
  const fits = (e: AssistantEvent): e is Body<T> => e.id > after && e.type === type && match(e as Body<T>);
  const seen = bus.since(after).events.find(fits);
  if (seen) return Promise.resolve(seen);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no ${type} event within ${timeoutMs} ms; events: ${JSON.stringify(bus.since(after).events.slice(-20))}`));
    }, timeoutMs);
    const stop = bus.subscribe((e) => {
      if (!fits(e)) return;
      clearTimeout(timer);
      stop();
      resolve(e);
    });
  });
}

/** Resolves once some batch collected so far or later contains `path`; rejects after `timeoutMs`. */
export async function waitForBatchWith(p: Pipeline, path: string, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!p.batches.some((b) => b.paths.includes(path))) {
    const left = end - Date.now();
    if (left <= 0) throw new Error(`no batch with ${path} within ${timeoutMs} ms; batches: ${JSON.stringify(p.batches)}`);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, left);
      p.batchWaiters.push(() => { clearTimeout(timer); resolve(); });
    });
  }
}

/** Every path the watcher reported so far. */
export function reportedPaths(p: Pipeline): Set<string> {
  return new Set(p.batches.flatMap((b) => b.paths));
}
