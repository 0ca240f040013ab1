// What every git-annex branch log shares: how text splits into lines, the bytewise order git-annex sorts
// by, and the parse result that keeps what it could not read. Pure: text in, values out.
import { FerryError } from '../../../util/index.js';

/**
 * A parsed log file. `entries` are the readable lines in file order (not yet compacted); `unparsed` are
 * the other non-blank lines, verbatim and in order, so a rewrite never drops what a newer git-annex wrote.
 */
export interface ParsedLog<E> {
  readonly entries: E[];
  readonly unparsed: string[];
}

/** A value that cannot be written into a log line without corrupting it (a newline, a separator). */
export class InvalidLogFieldError extends FerryError {
  constructor(log: string, what: string, value: string, reason: string) {
    super(`cannot write ${what} ${JSON.stringify(value)} to ${log}: ${reason}`, { data: { log, what, value } });
  }
}

/**
 * Splits log text into lines the way git-annex does (annex-format §3.2; Logs/Line.hs): any run of CR and
 * LF ends a line, so a CR in the middle of a line splits it, CRLF files read like LF files, and a final
 * line without terminator still counts. Blank lines (empty, or spaces only) are dropped: no log format
 * can read them and git-annex never writes them. (A tab is not blank: `\t` is a readable UUID.)
 */
export function splitLogLines(text: string): string[] {
  return text.split(/[\r\n]+/).filter((line) => !/^ *$/.test(line));
}

/** Joins rendered lines: every line LF-terminated, '' when there are none. */
export function joinLogLines(lines: readonly string[]): string {
  let out = '';
  for (const line of lines) out += `${line}\n`;
  return out;
}

/**
 * Compares strings by their UTF-8 bytes, the order git-annex's Maps and union merge use (§3.3). UTF-16
 * code-unit order differs from code-point (= UTF-8 byte) order only between a surrogate and a unit at or
 * above U+E000; shifting those two ranges makes the first differing unit decide correctly.
 */
export function compareBytes(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

function codePointRank(unit: number): number {
  if (unit >= 0xe000) return unit - 0x800;
  if (unit >= 0xd800) return unit + 0x2000;
  return unit;
}

/** Throws when `value` holds a line break: it would split the record into two lines. */
export function assertSingleLine(log: string, what: string, value: string): void {
  if (/[\r\n]/.test(value)) throw new InvalidLogFieldError(log, what, value, 'it contains a line break');
}

/** Throws when `value` holds a space or a line break (it is a space-delimited field), or is empty. */
export function assertWord(log: string, what: string, value: string, allowEmpty = false): void {
  if (/[ \r\n]/.test(value)) throw new InvalidLogFieldError(log, what, value, 'it contains a space or a line break');
  if (!allowEmpty && value === '') throw new InvalidLogFieldError(log, what, value, 'it is empty');
}
