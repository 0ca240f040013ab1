// Reading an expression the forgiving way git-annex 10.20230126 does (Utility/Matcher.hs `generate`), for
// expressions already in the git-annex branch: git-annex's `wanted` accepts "include=*.mp3 or" and
// "(include=*" (verified), and ferry must evaluate what git-annex evaluates. The rules, as observed in
// that code and with `git annex matchexpression`:
//   - a stray ')' is dropped; a missing ')' closes at the end;
//   - at the top level, two operands in a row (terms or groups) get an implicit `and`; inside ( ) they do
//     not, and a group then continues from what came before it: "(a (b or c))" is "(a and b) or c"
//     (verified with matchexpression; ferry's strict parser refuses that form, see expression.ts);
//   - starting from "matches anything", each `and X`/`or X`/`not X`/term folds into the result left to
//     right, X being the next single operand; a missing operand matches anything, so "a or" is always
//     true and "a and" is "a";
//   - "anything and X" simplifies to X, so an expression of only syntax ("", "()", "and") is empty: not
//     configured at all.
// Terms are still checked: one bad term makes the whole expression fail (returned as the problem text).
import { isSyntax, tokenize } from './expression.js';
import type { Expr } from './expression.js';

type Item<T> = { readonly syntax: 'and' | 'or' | 'not' } | { readonly term: T } | { readonly group: Item<T>[] };

const ANY = { kind: 'any' } as const;

/** The matcher git-annex builds from `text`, or the problems of the terms it could not parse. */
export function parseLenient<T>(text: string, parseTerm: (word: string) => T | string): Expr<T> | { problems: string[] } {
  const words = tokenize(text).map((t) => t.text);
  const problems: string[] = [];
  const flat: (string | { term: T })[] = [];
  for (const w of words) {
    if (isSyntax(w)) {
      flat.push(w);
      continue;
    }
    const term = parseTerm(w);
    if (typeof term === 'string') problems.push(term);
    else flat.push({ term });
  }
  if (problems.length > 0) return { problems };
  const [items] = group(flat, 0, true);
  return simplify(fold(ANY, implicitAnd(items)));
}

/** Nests parenthesized runs; at top level a ')' is dropped, inside a group it (or the end) closes it. */
function group<T>(flat: readonly (string | { term: T })[], start: number, top: boolean): [Item<T>[], number] {
  const out: Item<T>[] = [];
  let i = start;
  while (i < flat.length) {
    const x = flat[i++]!;
    if (x === '(') {
      const [inner, next] = group(flat, i, false);
      out.push({ group: inner });
      i = next;
    } else if (x === ')') {
      if (!top) return [out, i];
    } else if (typeof x === 'string') out.push({ syntax: x as 'and' | 'or' | 'not' });
    else out.push({ term: x.term });
  }
  return [out, i];
}

function isOperand<T>(x: Item<T>): boolean {
  return !('syntax' in x);
}

/** git-annex inserts the implicit `and`s of the top level only. */
function implicitAnd<T>(items: readonly Item<T>[]): Item<T>[] {
  const out: Item<T>[] = [];
  items.forEach((x, i) => {
    if (i > 0 && isOperand(items[i - 1]!) && isOperand(x)) out.push({ syntax: 'and' });
    out.push(x);
  });
  return out;
}

/** Folds every item into `acc`, left to right. */
function fold<T>(acc: Expr<T>, items: readonly Item<T>[]): Expr<T> {
  let m = acc;
  let rest = items;
  while (rest.length > 0) [m, rest] = consume(m, rest);
  return m;
}

/** Folds the first item (with its operand) into `m`; returns the result and what is left. */
function consume<T>(m: Expr<T>, items: readonly Item<T>[]): [Expr<T>, readonly Item<T>[]] {
  const [x, ...rest] = items;
  if (x === undefined) return [m, []];
  if ('term' in x) return [{ kind: 'and', left: m, right: { kind: 'term', term: x.term } }, rest];
  // A group continues from m itself: after an operator m is "anything"; inside a group it may not be.
  if ('group' in x) return [fold(m, x.group), rest];
  const [p, after] = consume<T>(ANY, rest);
  if (x.syntax === 'not') return [{ kind: 'and', left: m, right: { kind: 'not', operand: p } }, after];
  return [{ kind: x.syntax, left: m, right: p }, after];
}

function simplify<T>(e: Expr<T>): Expr<T> {
  switch (e.kind) {
    case 'and':
      if (e.left.kind === 'any') return simplify(e.right);
      if (e.right.kind === 'any') return simplify(e.left);
      return { kind: 'and', left: simplify(e.left), right: simplify(e.right) };
    case 'or': return { kind: 'or', left: simplify(e.left), right: simplify(e.right) };
    case 'not': return { kind: 'not', operand: simplify(e.operand) };
    default: return e;
  }
}
