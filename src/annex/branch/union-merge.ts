// git-annex's union merge of one branch file (annex-format.md §3.5): the lines of both versions, sorted
// bytewise, duplicates removed; a side that lacks the file contributes nothing, so a deletion never wins.
// When the result equals one input exactly, that input's blob is reused.

const NL = 0x0a;

function lines(content: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let i = content.indexOf(NL); i >= 0; i = content.indexOf(NL, start)) {
    if (i > start) out.push(content.subarray(start, i));
    start = i + 1;
  }
  if (start < content.length) out.push(content.subarray(start));
  return out;
}

export function unionMergeLines(...contents: Buffer[]): Buffer {
  const all = contents.flatMap(lines).sort((a, b) => Buffer.compare(a, b));
  const unique: Buffer[] = [];
  for (const line of all) {
    const last = unique[unique.length - 1];
    if (last === undefined || !last.equals(line)) unique.push(line);
  }
  return Buffer.concat(unique.flatMap((l) => [l, Buffer.from('\n')]));
}

/** 'first' or 'second' when the merge equals that input byte for byte, else the merged bytes. */
export function unionMerge(first: Buffer, second: Buffer): 'first' | 'second' | Buffer {
  const merged = unionMergeLines(first, second);
  if (merged.equals(first)) return 'first';
  if (merged.equals(second)) return 'second';
  return merged;
}
