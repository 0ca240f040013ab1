// The assistant's one worker (ISSUE 15; STYLE 11): everything that changes the repository — commits,
// merges, pushes, drops — runs here, one job at a time, in the order asked, except that urgent jobs (those
// on the path of a change to another machine: commit, pull, the push of a commit) go before the others
// (drops, location-log pushes, upkeep). The watcher, the notifiers, the transfer queue and timers only
// ask. A job asked for while one of the same name waits to start is that job (its caller shares the
// result; asked for as urgent, it moves up); one asked for while it runs is queued again, because the
// running one may have started before what the caller wants it to see.
import { errorMessage } from '../util/index.js';

interface Job {
  readonly name: string;
  urgent: boolean;
  readonly run: () => Promise<unknown>;
  readonly done: Promise<unknown>;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

export class Worker {
  readonly #waiting: Job[] = [];
  readonly #onError: (job: string, message: string) => void;
  #running: Job | undefined;
  #closed = false;
  #drained: Promise<void> = Promise.resolve();

  /** `onError` hears of every failed job (the caller of request() also gets the rejection). */
  constructor(onError: (job: string, message: string) => void) {
    this.#onError = onError;
  }

  /** The name of the job under way, if any. */
  get busy(): string | undefined {
    return this.#running?.name;
  }

  /**
   * Runs `run` once every job asked before it has finished, unless a job named `name` is already waiting
   * to start: then that one's result is returned and `run` is not called.
   */
  request<T>(name: string, run: () => Promise<T>, urgent = false): Promise<T> {
    const same = this.#waiting.find((j) => j.name === name);
    if (same) {
      if (urgent && !same.urgent) {
        this.#waiting.splice(this.#waiting.indexOf(same), 1);
        same.urgent = true;
        this.#enqueue(same);
      }
      return same.done as Promise<T>;
    }
    if (this.#closed) return Promise.reject(new Error('the assistant is stopping'));
    let resolve!: (v: unknown) => void;
    let reject!: (e: unknown) => void;
    const done = new Promise<unknown>((res, rej) => { resolve = res; reject = rej; });
    // Nobody need wait for a job: a failure is reported through onError either way.
    done.catch(() => undefined);
    this.#enqueue({ name, urgent, run, done, resolve, reject });
    if (this.#running === undefined) this.#drained = this.#drain();
    return done as Promise<T>;
  }

  /** An urgent job goes after the urgent ones waiting and before the rest; any other job last. */
  #enqueue(job: Job): void {
    const at = job.urgent ? this.#waiting.findIndex((j) => !j.urgent) : -1;
    if (at < 0) this.#waiting.push(job);
    else this.#waiting.splice(at, 0, job);
  }

  /** Runs nothing more that is not yet started; resolves when the job under way has finished. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const job of this.#waiting.splice(0)) job.reject(new Error('the assistant is stopping'));
    await this.#drained;
  }

  async #drain(): Promise<void> {
    for (let job = this.#waiting.shift(); job !== undefined; job = this.#waiting.shift()) {
      this.#running = job;
      try {
        job.resolve(await job.run());
      } catch (err) {
        this.#onError(job.name, errorMessage(err));
        job.reject(err);
      } finally {
        this.#running = undefined;
      }
    }
  }
}
