// The status server, its page, its file and its client (ISSUE 15 "Status"; docs/assistant.md).
export { StatusServer } from './server.js';
export type { StatusServerOptions } from './server.js';
export { StatusClient, NoAssistantError } from './client.js';
export { statusFilePath, readStatusFile } from './status-file.js';
export type { StatusFile } from './status-file.js';
export type { StatusSnapshot, StatusResponse, PeerStatus, TransferStatus, TransferState, NotifierStatus, NotifierState, CloudStatus } from './snapshot.js';
