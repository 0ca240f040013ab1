export { AnnexBranch, BRANCH_REF } from './branch.js';
export { locationLogPath, presenceChange, presentIn, chunkLogPath, chunkCountChange, loggedChunks } from './location.js';
export * from './logs/index.js';
