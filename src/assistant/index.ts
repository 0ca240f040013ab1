// The assistant's public face (ARCHITECTURE "Assistant"): the daemon's parts, and later its composition root.
export { EventBus } from './events.js';
export type { AssistantEvent, AssistantEventBody } from './events.js';
export { SelfWrites } from './self-writes.js';
export type { FileStamp } from './self-writes.js';
export * from './watcher/index.js';
export { Committer, OPEN_CHECK_BYTES } from './committer.js';
export type { CommitterOptions, CommitOutcome } from './committer.js';
export * from './status/index.js';
export * from './queue/index.js';
