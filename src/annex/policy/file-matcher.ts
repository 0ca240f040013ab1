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
  const eq = word.indexOf('=');
  if (eq < 0) return 'unknown term';
  const name = word.slice(0, eq);
  const value = word.slice(eq + 1);
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
      return `unknown term ${name}=`;
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
