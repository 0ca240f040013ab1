// The assistant's persisted transfer queue (STYLE layout: assistant/queue/).
export { TransferQueue } from './transfer-queue.js';
export type { TransferQueueOptions, QueueState, QueueEntry } from './transfer-queue.js';
export type { QueuedTransfer, TransferDirection, TransferRequest } from './item.js';
export { backoffDelay, DEFAULT_BACKOFF } from './backoff.js';
export type { BackoffOptions } from './backoff.js';
