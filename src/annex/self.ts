// How ferry's git commands call ferry back: git runs filter and hook commands through the shell, so they
// name this very build (node + dist/app/ferry.mjs, scripts/bundle.mjs), whatever `ferry` on PATH happens to be.
import { fileURLToPath } from 'node:url';

/** dist/app/ferry.mjs of this build. */
export const ferryScript = fileURLToPath(new URL('../../app/ferry.mjs', import.meta.url));
/** dist/hooks: one wrapper per git hook name (scripts/link-bins.mjs). */
export const ferryHooksDir = fileURLToPath(new URL('../../hooks', import.meta.url));
/** dist/hooks-lean: the same, less the hooks git runs on every ref or index update (for users without them). */
export const ferryLeanHooksDir = fileURLToPath(new URL('../../hooks-lean', import.meta.url));
/** The hooks git runs on every ref or index update. */
export const EVERY_UPDATE_HOOKS = ['reference-transaction', 'post-index-change'] as const;

export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The shell command line that runs this build of ferry with `args`. */
export function ferryCommandLine(...args: string[]): string {
  return [process.execPath, ferryScript, ...args].map(shellQuote).join(' ');
}
