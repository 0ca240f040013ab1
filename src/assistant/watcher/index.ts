// The watcher's face to the rest of the assistant.
export { Watcher } from './watcher.js';
export type { WatcherOptions } from './watcher.js';
export { ChangeAggregator, realTimers, QUIET_MS, MAX_WAIT_MS, RESCAN_THRESHOLD } from './aggregator.js';
export type { ChangeBatch, AggregatorOptions, Timers } from './aggregator.js';
export { DEFAULT_IGNORES, isDefaultIgnored } from './default-ignores.js';
export { WatchLimitError, WatchError } from './errors.js';
