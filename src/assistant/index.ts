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
export { startAssistant } from './run.js';
export type { Assistant, AssistantOptions } from './run.js';
export { AssistantRunningError, pidFilePath, runningAssistant } from './pid-lock.js';
export { describeEvent } from './describe-event.js';
export { installAutostart, removeAutostart, autostartState, autostartRepos, detectAutostartMethod, methodFor } from './autostart.js';
export type { AutostartMethod, AutostartOptions, AutostartResult, AutostartState } from './autostart.js';
export { unusedSummary, expireUnused, readExpirySetting, parseExpireUnused, parseDuration } from './unused.js';
export type { UnusedSummary, ExpiryResult, ExpirySetting } from './unused.js';
