// The preferred content language (git-annex-preferred-content(1)) evaluated for one repository and one
// item, with git-annex 10.20230126's semantics, each verified with `git annex matchexpression`,
// `find --want-get/--want-drop` or `sync --content --all` (test/interop/policy-interop.test.ts):
//   - include=/exclude= glob the path from the top; on an item without a path (--all, --key) include=
//     is false and exclude= TRUE (the man page says neither matches; the code and sync --content --all
//     say otherwise). inpreferreddir and a path-less item: false. unused: false for any item with a path.
//   - largerthan=/smallerthan= use the key's size; a key without one is smaller than anything.
//   - copies, lackingcopies and inallgroup count the location log's copies minus dead repositories and
//     minus `assumeAbsent` (the repository a drop is being decided for: "evaluated under the assumption
//     that the content has *already* been dropped"); `present` is NOT affected by that assumption, so
//     `present` keeps content (the `manual` group relies on it). `present` for this repository asks the
//     object store, for any other the location log.
//   - lackingcopies=N: numcopies (the file's annex.numcopies attribute, else numcopies.log, else 1 — no
//     --numcopies, no git config) minus the copies on repositories that are not untrusted, >= N;
//     approxlackingcopies skips the attribute.
//   - inallgroup=G: true when G has no members; false when a member is assumed absent.
import { evaluateAsync } from './expression.js';
import type { Expr } from './expression.js';
import type { MetaData } from './metadata.js';
import { trustRank } from './terms.js';
import type { Term } from './terms.js';
import type { TrustLevel } from '../queries/repositories.js';

export interface PolicyItem {
  /** The serialized key. */
  readonly key: string;
  /** The file's path from the top of the work tree; absent with --all/--key. */
  readonly path?: string;
  /** From the key's -s field, when the key has one. */
  readonly size?: number;
  /** Repositories the location log records as having the content (dead ones are ignored either way). */
  readonly locations: ReadonlySet<string>;
}

/** The facts terms consult besides the item: settings already loaded, and lookups that may need I/O. */
export interface MatchContext {
  readonly here: string;
  trust(uuid: string): TrustLevel;
  /** Repositories in a group (group.log), dead ones included, as git-annex counts them. */
  members(group: string): ReadonlySet<string>;
  /** The `preferreddir=` of a repository's remote.log config, default "public". */
  preferredDir(uuid: string): string;
  /** Whether this repository's object store has the content. */
  hasContentHere(key: string): Promise<boolean>;
  /** lackingcopies=: the path's annex.numcopies attribute, else numcopies.log, else 1. */
  globalNumCopies(path: string | undefined): Promise<number>;
  metadata(key: string): Promise<MetaData>;
  /** Whether the key is in the last `unused` report. */
  isUnused(key: string): Promise<boolean>;
}

/** git-annex's cryptographically secure hash backends (Backend/Hash.hs), with or without the E. */
const SECURE = /^(SHA(224|256|384|512)|SHA3_(224|256|384|512)|SKEIN(256|512)|BLAKE2B(160|224|256|384|512)|BLAKE2BP512|BLAKE2S(160|224|256)|BLAKE2SP(224|256))E?$/;

/**
 * Whether `uuid`'s compiled expression matches `item`. `assumeAbsent` is the repository whose copy is
 * not counted (drop decisions); undefined for get/copy decisions.
 */
export function matches(
  expr: Expr<Term>, uuid: string, item: PolicyItem, ctx: MatchContext, assumeAbsent?: string,
): boolean | Promise<boolean> {
  const live = () => [...item.locations].filter((u) => ctx.trust(u) !== 'dead');
  const counted = () => live().filter((u) => u !== assumeAbsent);
  return evaluateAsync(expr, (t): boolean | Promise<boolean> => {
    switch (t.kind) {
      case 'anything': return true;
      case 'nothing': return false;
      case 'include': return item.path !== undefined && t.glob.test(item.path);
      case 'exclude': return item.path === undefined || !t.glob.test(item.path);
      case 'largerthan': return item.size !== undefined && item.size > t.size;
      case 'smallerthan': return item.size === undefined || item.size < t.size;
      case 'present': return uuid === ctx.here ? ctx.hasContentHere(item.key) : live().includes(uuid);
      case 'securehash': return SECURE.test(backendOf(item.key));
      case 'inbackend': return backendOf(item.key) === t.backend;
      case 'unused': return item.path === undefined && ctx.isUnused(item.key);
      case 'inpreferreddir': return item.path !== undefined && inDirectory(ctx.preferredDir(uuid), item.path);
      case 'copies': return counted().filter((u) => countsFor(t.filter, u, ctx)).length >= t.n;
      case 'lackingcopies': {
        const have = counted().filter((u) => ctx.trust(u) !== 'untrusted').length;
        const numcopies = ctx.globalNumCopies(t.approx ? undefined : item.path);
        return numcopies.then((n) => n - have >= t.n);
      }
      case 'inallgroup': {
        const members = [...ctx.members(t.group)];
        if (members.length === 0) return true;
        if (assumeAbsent !== undefined && members.includes(assumeAbsent)) return false;
        const here = live();
        return members.every((m) => here.includes(m));
      }
      case 'metadata':
        return ctx.metadata(item.key).then((m) => [...(m.get(t.matcher.field) ?? [])].some(t.matcher.test));
      case 'standard':
      case 'groupwanted':
        throw new Error(`internal: ${t.kind} should have been expanded`);
    }
  });
}

function countsFor(filter: Extract<Term, { kind: 'copies' }>['filter'], uuid: string, ctx: MatchContext): boolean {
  if (filter === undefined) return true;
  if ('group' in filter) return ctx.members(filter.group).has(uuid);
  const level = ctx.trust(uuid);
  return filter.orBetter ? trustRank(level) >= trustRank(filter.trust) : level === filter.trust;
}

function backendOf(key: string): string {
  const dash = key.indexOf('-');
  return dash < 0 ? key : key.slice(0, dash);
}

/**
 * git-annex's inpreferreddir: `dir` is one of splitPath(takeDirectory(path)), where every component but
 * the last keeps its trailing '/': so only a file directly inside a directory named `dir` matches
 * (`x/public/f` and `public/f` do, `public/sub/f` does not: verified).
 */
export function inDirectory(dir: string, path: string): boolean {
  const trimmed = path.replace(/\/+$/, '');
  const slash = trimmed.lastIndexOf('/');
  let parent = slash < 0 ? '.' : trimmed.slice(0, slash).replace(/\/+$/, '');
  if (parent === '' && slash >= 0) parent = '/';
  const components: readonly string[] = parent.match(/[^/]*\/+|[^/]+$/g) ?? [];
  return components.includes(dir);
}
