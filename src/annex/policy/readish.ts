// Numbers as git-annex reads them in settings (numcopies, copies=N, lackingcopies=N, annex.numcopies
// attributes): Haskell's `readish`, which takes the first lexeme of `reads :: Int` and ignores whatever
// follows it. Verified: `git annex numcopies 3x` sets 3; " 3" sets 3; "2.5" and "x" are bad numbers.

const DECIMAL = /^\s*(-?)\s*([0-9]+)(.?)(.?)(.?)/;
const RADIX = /^\s*(-?)\s*0([xXoO])([0-9a-fA-F]+)/;

/**
 * The integer at the start of `text`: optional white space, an optional `-`, then decimal digits (or a
 * 0x/0o literal, as Haskell's lexer reads them). A decimal followed by a fraction (`2.5`) or exponent
 * (`2e3`) is not an Int, so it is undefined; other trailing text is ignored. Values past 2^53 are
 * undefined too (git-annex would wrap them).
 */
export function readishInt(text: string): number | undefined {
  const radix = RADIX.exec(text);
  if (radix) {
    const digits = radix[3]!;
    const base = /[xX]/.test(radix[2]!) ? 16 : 8;
    const valid = base === 16 ? digits : /^[0-7]+/.exec(digits)?.[0];
    if (valid) return finite(radix[1] === '-', parseInt(valid, base));
  }
  const m = DECIMAL.exec(text);
  if (!m) return undefined;
  const [next, after, third] = [m[3]!, m[4]!, m[5]!];
  if (next === '.' && /[0-9]/.test(after)) return undefined;
  if ((next === 'e' || next === 'E') && (/[0-9]/.test(after) || (/[+-]/.test(after) && /[0-9]/.test(third)))) return undefined;
  return finite(m[1] === '-', Number(m[2]));
}

function finite(negative: boolean, n: number): number | undefined {
  if (!Number.isSafeInteger(n)) return undefined;
  return negative && n !== 0 ? -n : n;
}
