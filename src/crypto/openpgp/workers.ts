// The crypto layer's threads (S2K pool, MDC hashing) are started on demand and unref'd while idle, so they
// never keep a process alive; this stops them outright (tests, or a daemon giving its threads back).
import { closeHashThread } from './hash-thread.js';
import { closeS2kPool } from './s2k-pool.js';

export async function closeCryptoWorkers(): Promise<void> {
  await Promise.all([closeS2kPool(), closeHashThread()]);
}
