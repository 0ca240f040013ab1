// Reading `git push --porcelain` (git-push(1) "OUTPUT"): a "To <destination>" line, then one line per ref,
// "<flag> TAB <from>:<to> TAB <summary> [(<reason>)]", then "Done". One push carries every ref of a sync, so
// the outcome of each ref is read from here rather than from the exit status (1 when any ref is refused).
export interface PorcelainPush {
  readonly destination: string;
  readonly refs: { readonly source: string; readonly destination: string; readonly flag: string; readonly summary: string; readonly reason?: string }[];
}

export function parsePushPorcelain(stdout: string): PorcelainPush {
  let destination = '';
  const refs: PorcelainPush['refs'] = [];
  for (const line of stdout.split('\n')) {
    if (line.startsWith('To ')) {
      destination = line.slice(3);
      continue;
    }
    const m = /^(.)\t([^\t]*):([^\t]*)\t(\[[^\]]*\]|\S+)(?: \((.*)\))?$/.exec(line);
    if (!m) continue; // "Done", blank lines
    refs.push({ flag: m[1]!, source: m[2]!, destination: m[3]!, summary: m[4]!, ...(m[5] !== undefined ? { reason: m[5] } : {}) });
  }
  return { destination, refs };
}
