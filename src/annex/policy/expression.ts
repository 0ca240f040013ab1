// git-annex's matching expressions ("largerthan=100kb and not (include=*.c or include=*.h)"), shared by
// annex.largefiles, annex.addunlocked and preferred content. Semantics follow git-annex's matcher
// (Utility/Matcher.hs in 10.20230126): terms next to each other are and-ed, `not` applies to the next term
// or group, and `and`/`or` combine strictly left to right with no precedence ("a or b and c" is
// "(a or b) and c"). parseExpression is strict: a malformed expression is refused with the position and
// token that is wrong (and so is "(a (b or c))", which git-annex reads as "(a and b) or c").
// lenient-expression.ts reads expressions the forgiving way git-annex does, for settings someone else
// wrote; on every expression parseExpression accepts, the two agree.
import { FerryError, ExitCode } from '../../util/index.js';

export type Expr<T> =
  | { readonly kind: 'any' }
  | { readonly kind: 'and' | 'or'; readonly left: Expr<T>; readonly right: Expr<T> }
  | { readonly kind: 'not'; readonly operand: Expr<T> }
  | { readonly kind: 'term'; readonly term: T };

export class ExpressionError extends FerryError {
  constructor(expression: string, position: number, token: string, problem: string) {
    super(`${problem} at position ${position + 1} ('${token}') in: ${expression}`, {
      data: { expression, position, token, problem },
      exitCode: ExitCode.usage,
      hint: 'see git-annex-preferred-content(1) for the terms; group with ( ) and combine with and, or, not',
    });
  }
}

export interface Token {
  readonly text: string;
  /** UTF-16 offset of the token in the expression. */
  readonly pos: number;
}

/**
 * git-annex splits with Haskell's `words`, whose isSpace is ASCII white space, U+00A0 and the Unicode
 * space separators (Zs) — not U+0085, U+2028/2029 or U+FEFF, which JavaScript's \s would also take.
 */
const NOT_SPACE_OR_PAREN = '[^\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u202f\\u205f\\u3000()]+';

/** Words split on white space, with parentheses split out of words as git-annex's tokenizeMatcher does. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const re = new RegExp(`[()]|${NOT_SPACE_OR_PAREN}`, 'gu');
  for (let m = re.exec(text); m; m = re.exec(text)) tokens.push({ text: m[0], pos: m.index });
  return tokens;
}

/** The words that are syntax, not terms, in every expression (git-annex's syntaxToken). */
export function isSyntax(word: string): boolean {
  return word === 'and' || word === 'or' || word === 'not' || word === '(' || word === ')';
}

/**
 * Parses `text` strictly; parseTerm turns one word into a term, returning a string to reject it with
 * that reason (an unknown term, a bad size). No words at all is `any` (git-annex: nothing configured).
 * Throws ExpressionError with the position and token of the first problem.
 */
export function parseExpression<T>(text: string, parseTerm: (word: string) => T | string): Expr<T> {
  const tokens = tokenize(text);
  let i = 0;
  const fail = (t: Token | undefined, problem: string): never => {
    throw new ExpressionError(text, t?.pos ?? text.length, t?.text ?? 'end', problem);
  };
  const operand = (): Expr<T> => {
    const t = tokens[i];
    if (!t) return fail(t, 'expected a term');
    if (t.text === 'not') {
      i++;
      return { kind: 'not', operand: operand() };
    }
    if (t.text === '(') {
      i++;
      const inner = sequence(true);
      if (tokens[i]?.text !== ')') return fail(tokens[i], 'missing )');
      i++;
      return inner;
    }
    if (isSyntax(t.text)) return fail(t, 'expected a term');
    i++;
    const term = parseTerm(t.text);
    if (typeof term === 'string') return fail(t, term);
    return { kind: 'term', term };
  };
  const sequence = (nested: boolean): Expr<T> => {
    if (i >= tokens.length || tokens[i]!.text === ')') return fail(tokens[i], 'empty expression');
    let left = operand();
    while (i < tokens.length) {
      const t = tokens[i]!;
      if (t.text === ')') {
        if (nested) break;
        return fail(t, 'unmatched )');
      }
      if (t.text === 'and' || t.text === 'or') {
        i++;
        left = { kind: t.text, left, right: operand() };
      } else {
        // git-annex adds implicit `and`s only outside parentheses; inside, "(a (b or c))" means
        // "(a and b) or c" (verified with matchexpression). Refuse rather than mean something else.
        if (nested && t.text === '(') return fail(t, "inside ( ), write 'and' before '(' (git-annex would read it as continuing the left side)");
        left = { kind: 'and', left, right: operand() };
      }
    }
    return left;
  };
  if (tokens.length === 0) return { kind: 'any' };
  return sequence(false);
}

export function evaluate<T>(e: Expr<T>, test: (term: T) => boolean): boolean {
  switch (e.kind) {
    case 'any': return true;
    case 'and': return evaluate(e.left, test) && evaluate(e.right, test);
    case 'or': return evaluate(e.left, test) || evaluate(e.right, test);
    case 'not': return !evaluate(e.operand, test);
    case 'term': return test(e.term);
  }
}

/**
 * evaluate() for terms some of which need I/O (a .gitattributes lookup, a metadata log): left to right
 * with short-circuit, as git-annex's matchMrun, and synchronous for as long as every term answers at once.
 */
export function evaluateAsync<T>(e: Expr<T>, test: (term: T) => boolean | Promise<boolean>): boolean | Promise<boolean> {
  const then = (v: boolean | Promise<boolean>, k: (b: boolean) => boolean | Promise<boolean>) =>
    typeof v === 'boolean' ? k(v) : v.then(k);
  switch (e.kind) {
    case 'any': return true;
    case 'and': return then(evaluateAsync(e.left, test), (l) => (l ? evaluateAsync(e.right, test) : false));
    case 'or': return then(evaluateAsync(e.left, test), (l) => (l ? true : evaluateAsync(e.right, test)));
    case 'not': return then(evaluateAsync(e.operand, test), (v) => !v);
    case 'term': return test(e.term);
  }
}

/** Writes an expression back with every operator parenthesized, so it re-parses to the same tree. */
export function renderExpression<T>(e: Expr<T>, renderTerm: (term: T) => string): string {
  switch (e.kind) {
    case 'any': return '';
    case 'and':
    case 'or': return `(${renderExpression(e.left, renderTerm)} ${e.kind} ${renderExpression(e.right, renderTerm)})`;
    case 'not': return `not ${renderExpression(e.operand, renderTerm)}`;
    case 'term': return renderTerm(e.term);
  }
}

export interface GlobOptions {
  /** metadata= values match case-insensitively (git-annex-preferred-content(1)). */
  readonly caseInsensitive?: boolean;
}

/** A glob as git-annex matches it: against the whole path from the top, `*` and `?` also match '/'. */
export function globToRegExp(glob: string, opts: GlobOptions = {}): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      // A ']' first in the class (after any '!') is a member, as in fnmatch: "[]a]", "[!]a]" (verified).
      const negated = glob[i + 1] === '!';
      const first = i + (negated ? 2 : 1);
      const close = glob.indexOf(']', first + 1);
      if (close < 0) re += '\\[';
      else {
        const members = glob.slice(first, close).replace(/[\\\][]/g, '\\$&');
        re += `[${negated ? '^' : ''}${members}]`;
        i = close;
      }
    } else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, opts.caseInsensitive ? 'si' : 's');
}
