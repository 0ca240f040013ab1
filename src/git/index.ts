// The git layer's public face: the only code in ferry that runs git.
export { runGit, gitText, gitLinesZ, spawnGit, waitForGit } from './run.js';
export type { GitEnv, RunOptions, RunResult } from './run.js';
export { CatFile } from './cat-file.js';
export { CheckAttr } from './check-attr.js';
export type { GitObject, GitObjectInfo } from './cat-file.js';
export {
  NULL_SHA, EMPTY_TREE, writeBlobs, hashFiles, updateIndex, writeTree, readTree, commitTree, updateRef, resolveRef,
  listRefs, isAncestor, lsTree, diffTrees, updateRefs,
} from './plumbing.js';
export type { IndexEntry, TreeEntry, RefInfo, RefUpdate } from './plumbing.js';
export { fastImport, committerIdent } from './fast-import.js';
export type { FileChange, CommitSpec, ImportResult } from './fast-import.js';
export { GitError, NotAGitRepositoryError, RefChangedError } from './errors.js';
export { writeBundle, writeMergedBundle, applyBundle, presentObjects } from './bundle.js';
export type { BundleTip, BundlePart, WrittenBundle } from './bundle.js';
