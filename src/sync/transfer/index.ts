// Moving content between this repository and its remotes: get, copy, move, drop.
export { selectItems, itemOf } from './items.js';
export type { TransferItem, Selection } from './items.js';
export type { TransferResult, TransferEvents } from './results.js';
export { getItems, NoCopyAvailableError } from './get.js';
export type { GetOptions } from './get.js';
export { sendItems } from './send.js';
export type { SendOutcome } from './send.js';
export { dropItems, UnsafeDropError } from './drop.js';
export type { DropOptions, DropPolicy } from './drop.js';
export { loadTransferPolicy, dropPolicy } from './policy.js';
export { autoItems } from './auto.js';
export type { AutoMode } from './auto.js';
export { proveCopies } from './proof.js';
export { DiskReserveError, checkDiskReserve, diskReserve } from './disk-reserve.js';
export { fsckRemote } from './fsck-remote.js';
export type { RemoteFsckOptions } from './fsck-remote.js';
