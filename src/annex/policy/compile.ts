// Turning a repository's settings into the matcher git-annex 10.20230126 evaluates for it
// (Logs/PreferredContent.hs): `standard` and `groupwanted` expand to their groups' expressions, an
// expression that does not parse (a newer git-annex's term, say) becomes `present` so nothing moves until
// it is fixed, and the preferred content of a repository is its preferred OR its required expression.
import { parseExpression } from './expression.js';
import type { Expr } from './expression.js';
import { parseLenient } from './lenient-expression.js';
import { soleStandardGroup, standardExpression } from './standard-groups.js';
import { parsePreferredTerm } from './terms.js';
import type { Term } from './terms.js';

export type Matcher = Expr<Term>;

/** git-annex's fallback matcher for an expression it cannot parse: only what is already present. */
export const PRESENT: Matcher = { kind: 'term', term: { word: 'present', kind: 'present' } };

/**
 * Refuses (ExpressionError, with position and token) an expression ferry would not set: any word
 * git-annex 10.20230126 does not know, and any malformed structure git-annex would quietly reinterpret.
 * `standard` and `groupwanted` are accepted wherever they appear, as git-annex's `wanted` accepts them.
 */
export function checkPreferredContentExpression(text: string): void {
  parseExpression(text, parsePreferredTerm);
}

/**
 * The matcher of `text` for a repository in `groups`: `standard` is the expression of its only standard
 * group (else `present`); `groupwanted` the expression of its only group that has one (else `present`),
 * which may use `standard` but not `groupwanted` (that again is `present`). Returns the problems when
 * a word, of `text` or of the groupwanted expression, does not parse.
 */
export function compileExpression(
  text: string, groups: ReadonlySet<string>, groupWanted: ReadonlyMap<string, string>,
): Matcher | { problems: string[] } {
  const compile = (expr: string, expandStandard: boolean, expandGroupWanted: boolean): Matcher | { problems: string[] } => {
    const parsed = parseLenient(expr, parsePreferredTerm);
    if ('problems' in parsed) return parsed;
    const problems: string[] = [];
    const expand = (e: Matcher): Matcher => {
      switch (e.kind) {
        case 'any': return e;
        case 'and':
        case 'or': return { kind: e.kind, left: expand(e.left), right: expand(e.right) };
        case 'not': return { kind: 'not', operand: expand(e.operand) };
        case 'term': {
          let sub: Matcher | { problems: string[] } = e;
          if (e.term.kind === 'standard') {
            const group = expandStandard ? soleStandardGroup(groups) : undefined;
            sub = group === undefined ? PRESENT : compile(standardExpression(group), false, false);
          } else if (e.term.kind === 'groupwanted') {
            const own = [...groupWanted].filter(([g]) => groups.has(g));
            sub = expandGroupWanted && own.length === 1 ? compile(own[0]![1], true, false) : PRESENT;
          }
          if ('problems' in sub) {
            problems.push(...sub.problems);
            return PRESENT;
          }
          return sub;
        }
      }
    };
    const expanded = expand(parsed);
    return problems.length > 0 ? { problems } : expanded;
  };
  return compile(text, true, true);
}

/**
 * What git-annex evaluates for a repository with these logged expressions (undefined: not logged).
 * Undefined when nothing is configured: neither is logged, or what is logged is empty ("" or only syntax).
 */
export function repositoryMatcher(
  expressions: readonly (string | undefined)[], groups: ReadonlySet<string>, groupWanted: ReadonlyMap<string, string>,
): Matcher | undefined {
  let combined: Matcher | undefined;
  for (const text of expressions) {
    if (text === undefined) continue;
    const m = compileExpression(text, groups, groupWanted);
    if ('problems' in m) return PRESENT;
    // git-annex's combineMatchers: an empty side gives the other; else either may match.
    if (combined === undefined || combined.kind === 'any') combined = m;
    else if (m.kind !== 'any') combined = { kind: 'or', left: combined, right: m };
  }
  return combined === undefined || combined.kind === 'any' ? undefined : combined;
}
