// What get, copy, move and drop share on the command line: the items to work on, the remote named by
// --to/--from, and the common options.
import type { Annex } from '../annex/index.js';
import type { OptionSpec, ParsedArgs } from './args.js';
import { jsonOption } from './command.js';
import { selectedFiles } from './open.js';
import type { Output } from './output/output.js';
import type { OpenedRemotes, Remote } from '../remotes/index.js';
import { autoItems, itemOf, loadTransferPolicy, selectItems } from '../sync/index.js';
import type { AutoMode, TransferItem } from '../sync/index.js';
import { UsageError } from '../util/index.js';

export const transferOptions: readonly OptionSpec[] = [
  jsonOption,
  { name: 'json-progress', kind: 'boolean', help: 'with --json, also progress records while content moves' },
  { name: 'all', kind: 'boolean', short: 'A', help: 'every key this repository or the git-annex branch knows, not only files' },
  { name: 'key', kind: 'string', value: 'KEY', help: 'only this key' },
  { name: 'jobs', kind: 'number', short: 'J', help: 'transfers at once (default: 4 when getting; when sending, 8 to a repository, 4 large and 16 small files to a special remote)' },
];

/** get, copy and drop (not move, as in git-annex): let preferred content and numcopies choose. */
export const autoOption: OptionSpec = {
  name: 'auto', kind: 'boolean', short: 'a', help: 'only what preferred content wants moved, or numcopies needs',
};

/** With --auto, the items preferred content and numcopies choose; otherwise all of them. */
export async function autoFilter(annex: Annex, args: ParsedArgs, items: TransferItem[], mode: AutoMode): Promise<TransferItem[]> {
  if (args.options.get('auto') !== true) return items;
  const policy = await loadTransferPolicy(annex);
  try {
    return await autoItems(annex, policy, items, mode);
  } finally {
    policy.close();
  }
}

export interface Selected {
  readonly items: TransferItem[];
  readonly paths: string[];
  readonly unmatched: number;
}

/** The files or keys the command line names, in git-annex's order. */
export async function selectFromArgs(annex: Annex, args: ParsedArgs, cwd: string, out: Output): Promise<Selected> {
  const { options, positional } = args;
  const all = options.get('all') === true;
  const key = options.get('key') as string | undefined;
  if ((all || key !== undefined) && positional.length > 0) throw new UsageError('give paths, or --all, or --key, not several');
  if (all || key !== undefined) return { items: await selectItems(annex, { paths: [], all, key }), paths: [], unmatched: 0 };
  const { paths, files, unmatched } = await selectedFiles(annex, positional, cwd, out);
  return { items: files.map(itemOf), paths, unmatched };
}

/** The remote --to/--from names, or a usage error saying why it cannot be used. */
export function namedRemote(opened: OpenedRemotes, name: string): Remote {
  const remote = opened.remotes.find((r) => r.name === name);
  if (remote) return remote;
  const skipped = opened.skipped.find((s) => s.name === name);
  if (skipped) throw new UsageError(`cannot use remote ${name}: ${skipped.reason}`);
  throw new UsageError(`there is no git remote named ${name}`, "see 'git remote -v'");
}
