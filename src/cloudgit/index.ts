// cloudgit's public face: git stored in a Store, as immutable sealed bundles and one manifest per peer.
export { CloudGit, readCloudUuid } from './cloud-git.js';
export type { CloudGitOptions } from './context.js';
export type { PeerSeq, PeerProgress } from './cloud-git.js';
export type { PushUpdate, PushResult } from './push.js';
export type { Listing } from './refs.js';
export type { GcResult } from './gc.js';
export { PEER_REFS } from './refs.js';
export { runHelper } from './helper.js';
export { CloudRefusedError, CloudIncompleteError, HelperProtocolError } from './errors.js';
