// The one place Store wrappers are stacked (STYLE 4): retry over the concurrency limit over the backend, so a
// backoff wait holds no slot; fault injection goes right over the backend when a test asks for it.
import type { Store } from '../store.js';
import { FaultyStore } from './faulty.js';
import type { FaultOptions } from './faulty.js';
import { LimitStore } from './limit.js';
import { RetryStore } from './retry.js';
import type { RetryOptions } from './retry.js';

export interface WrapOptions {
  readonly retry?: RetryOptions;
  /** Operations in flight at most; defaults to the backend's capabilities.maxConcurrency. */
  readonly concurrency?: number;
  /** Tests only: inject faults under the retry layer. */
  readonly faults?: FaultOptions;
}

export function wrapStore(store: Store, opts: WrapOptions = {}): Store {
  const base = opts.faults ? new FaultyStore(store, opts.faults) : store;
  return new RetryStore(new LimitStore(base, opts.concurrency), opts.retry);
}

export { FaultyStore, LimitStore, RetryStore };
export type { FaultCounts, FaultOptions } from './faulty.js';
export type { RetryOptions };
