// git-annex's matching expressions ("largerthan=100kb and not (include=*.c or include=*.h)"), shared by
// annex.largefiles, annex.addunlocked and, later, preferred content. Semantics follow git-annex's matcher:
// terms next to each other are and-ed, `not` applies to the next term or group, and `and`/`or` combine
// strictly left to right with no precedence ("a or b and c" is "(a or b) and c"). Unlike git-annex, a
// malformed expression is refused with the position and token that is wrong, rather than half-understood.
import { FerryError, ExitCode } from '../../util/index.js';

export type Expr<T> =
  | { readonly kind: 'any' }
  | { readonly kind: 'and' | 'or'; readonly left: Expr<T>; readonly right: Expr<T> }
  | { readonly kind: 'not'; readonly operand: Expr<T> }
  | { readonly kind: 'term'; readonly term: T };

export class ExpressionError extends FerryError {
  constructor(expression: string, position: number, token: string, problem: string) {
    super(`${problem} at position ${position + 1} ('${token}') in: ${expression}`, {
      data: { expression, position, token },
      exitCode: ExitCode.usage,
      hint: 'see git-annex-matching-expression(1) for the terms; group with ( ) and combine with and, or, not',
    });
  }
}

interface Token {
  readonly text: string;
  readonly pos: number;
}

/** Words split on white space, with parentheses split out of words as git-annex does. */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const re = /[()]|[^\s()]+/g;
  for (let m = re.exec(text); m; m = re.exec(text)) tokens.push({ text: m[0], pos: m.index });
  return tokens;
}

/**
 * Parses `text`; parseTerm turns one word into a term, returning a string to reject it with that reason
 * (an unknown term, a bad size).
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
    if (t.text === ')' || t.text === 'and' || t.text === 'or') return fail(t, 'expected a term');
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

/** A glob as git-annex matches it: against the whole path from the top, `*` and `?` also match '/'. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close < 0) re += '\\[';
      else {
        let body = glob.slice(i + 1, close);
        if (body.startsWith('!')) body = `^${body.slice(1)}`;
        re += `[${body.replace(/\\/g, '\\\\')}]`;
        i = close;
      }
    } else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}
