// relay's public face: the `ferry relay` server (cli/commands/relay.ts and the demo start it).
export { startRelay, RELAY_PATH } from './server.js';
export type { Relay, RelayOptions } from './server.js';
export { DEFAULT_LIMITS } from './limits.js';
export type { RelayLimits } from './limits.js';
export { parseListen, limitsFromFlags, LIMIT_FLAGS, DEFAULT_RELAY_PORT, RelayConfigError } from './config.js';
