// The git-annex branch log formats (annex-format §3): pure parse and render, no I/O. Every render
// reproduces git-annex's own bytes for the same content; every parse keeps the lines it cannot read.
export { UNKNOWN_CLOCK, parseClock, formatClock, currentClock, nextClock, newestClock, wallClockNs } from './clock.js';
export type { Clock } from './clock.js';
export { InvalidLogFieldError, splitLogLines, joinLogLines, compareBytes } from './log-text.js';
export type { ParsedLog } from './log-text.js';
export { parseUuidLog, currentUuidValues, renderUuidLog, setUuidValue } from './uuid-log.js';
export type { UuidLogEntry } from './uuid-log.js';
export { parseRemoteConfig, renderRemoteConfig, escapeConfigValue, unescapeConfigValue } from './remote-config.js';
export {
  parseSingleValueLog, currentSingleValue, compareSingleValues, renderSingleValueLog, setSingleValue,
  parseMapLog, currentMapValues, renderMapLog, setMapValue, currentConfig, currentConfigValue, setConfigValue,
} from './value-log.js';
export type { SingleValueEntry, MapLogEntry } from './value-log.js';
export {
  PRESENT, ABSENT, DEAD, parseLocationLog, currentLocations, presentUuids, renderLocationLog, setLocation,
} from './location-log.js';
export type { LocationStatus, LocationLogEntry } from './location-log.js';
export { parseChunkLog, currentChunks, renderChunkLog, setChunkCount } from './chunk-log.js';
export type { ChunkLogEntry } from './chunk-log.js';
export { journalFileName, branchPathOfJournalFile } from './journal-names.js';
