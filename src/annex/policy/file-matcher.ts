// Matching expressions over files in the work tree (annex.largefiles, annex.addunlocked):
// include=/exclude= globs on the path from the top, largerthan=/smallerthan= sizes, anything, nothing.
import { parseSize } from '../../util/index.js';
import { evaluate, globToRegExp, parseExpression } from './expression.js';
import type { Expr } from './expression.js';

export interface FileInfo {
  /** Path relative to the top of the work tree, '/'-separated. */
  readonly path: string;
  readonly size: number;
}

type FileTerm = (f: FileInfo) => boolean;

function parseFileTerm(word: string): FileTerm | string {
  if (word === 'anything') return () => true;
  if (word === 'nothing') return () => false;
  // `unused` is a term here too in git-annex, and never matches a file in the work tree.
  if (word === 'unused') return () => false;
  // As git-annex reads it, a word without `=` is a term with an empty value ("include" is "include=").
  const eq = word.indexOf('=');
  const name = eq < 0 ? word : word.slice(0, eq);
  const value = eq < 0 ? '' : word.slice(eq + 1);
  switch (name) {
    case 'include':
    case 'exclude': {
      const re = globToRegExp(value);
      return name === 'include' ? (f) => re.test(f.path) : (f) => !re.test(f.path);
    }
    case 'largerthan':
    case 'smallerthan': {
      const size = parseSize(value);
      if (size === undefined) return `${name}: expected a size such as 100kb or 1GiB`;
      return name === 'largerthan' ? (f) => f.size > size : (f) => f.size < size;
    }
    case 'mimetype':
    case 'mimeencoding':
      return `${name} is not supported by ferry (it needs libmagic)`;
    default:
      return eq < 0 ? 'unknown term' : `unknown term ${name}=`;
  }
}

export class FileMatcher {
  private constructor(readonly expression: string, private readonly expr: Expr<FileTerm>) {}

  /** Throws ExpressionError naming the bad token. */
  static parse(expression: string): FileMatcher {
    return new FileMatcher(expression, parseExpression(expression, parseFileTerm));
  }

  matches(file: FileInfo): boolean {
    return evaluate(this.expr, (t) => t(file));
  }
}
