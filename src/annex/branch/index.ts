export { AnnexBranch, BRANCH_REF } from './branch.js';
export { locationLogPath, presenceChange, presentIn } from './location.js';
export * from './logs/index.js';
