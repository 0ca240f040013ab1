// notify's public face: sealed change notices, the Notifier interface, its transports and the hub that
// turns notices from all of them into fetches.
export { NoticeChannel, NoticeError, NO_PEER, NOTICE_VERSION, FRAME_BYTES, MAX_FRAME_BYTES, frameChannel } from './notice.js';
export type { ChangeNotice } from './notice.js';
export { NotifierUnavailableError, NotifierConfigError, NotifierClosedError } from './notifier.js';
export type { Notifier, NotifierCapabilities, NotifierDeps, NotifierEvents } from './notifier.js';
export { NoticeHub } from './hub.js';
export type { HubOptions, HubEvents } from './hub.js';
export { TRANSPORTS, parseNotifierSpec, createNotifier, needsPassword } from './registry.js';
export type { NotifierSpec, TransportName, TransportDeps } from './registry.js';
export { DEFAULT_POLL, pollCost, S3_PRICES } from './transports/poll.js';
export type { ManifestProbe, PollSettings, PollCost } from './transports/poll.js';
