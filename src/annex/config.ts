// The repository's git config, read once per command with `git config -l -z` (one process, not one per key).
import type { GitEnv } from '../git/index.js';
import { runGit } from '../git/index.js';

export class GitConfig {
  private constructor(private readonly values: ReadonlyMap<string, readonly string[]>) {}

  static async load(git: GitEnv): Promise<GitConfig> {
    // The -c settings ferry adds are ours, not the repository's: read without them.
    const { stdout } = await runGit({ cwd: git.cwd }, ['config', '-l', '-z'], { okCodes: [1] });
    const values = new Map<string, string[]>();
    for (const record of stdout.toString('utf8').split('\0')) {
      if (record === '') continue;
      const nl = record.indexOf('\n');
      const key = normaliseKey(nl < 0 ? record : record.slice(0, nl));
      const value = nl < 0 ? 'true' : record.slice(nl + 1);
      const list = values.get(key);
      if (list) list.push(value);
      else values.set(key, [value]);
    }
    return new GitConfig(values);
  }

  static fromEntries(entries: Record<string, string>): GitConfig {
    return new GitConfig(new Map(Object.entries(entries).map(([k, v]) => [normaliseKey(k), [v]])));
  }

  /** The last value of `key` (git's rule for single-valued keys). */
  get(key: string): string | undefined {
    const list = this.values.get(normaliseKey(key));
    return list?.[list.length - 1];
  }

  getAll(key: string): readonly string[] {
    return this.values.get(normaliseKey(key)) ?? [];
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.get(key)?.toLowerCase();
    if (v === undefined) return fallback;
    if (['true', 'yes', 'on', '1', ''].includes(v)) return true;
    if (['false', 'no', 'off', '0'].includes(v)) return false;
    return fallback;
  }

  int(key: string): number | undefined {
    const v = this.get(key);
    if (v === undefined) return undefined;
    const n = Number(v);
    return Number.isInteger(n) ? n : undefined;
  }

  /** Keys starting with `prefix` (already normalised), e.g. every `remote.` setting. */
  keysWithPrefix(prefix: string): string[] {
    return [...this.values.keys()].filter((k) => k.startsWith(prefix));
  }
}

/** git compares section and variable names case-insensitively, subsections exactly. */
function normaliseKey(key: string): string {
  const first = key.indexOf('.');
  const last = key.lastIndexOf('.');
  if (first < 0) return key.toLowerCase();
  return `${key.slice(0, first).toLowerCase()}${key.slice(first, last)}${key.slice(last).toLowerCase()}`;
}
