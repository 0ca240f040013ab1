// git-annex's standard groups and the preferred content expression each stands for, as 10.20230126 has
// them (`git annex vicfg` lists them under "Standard preferred contents"; test/interop checks every string
// byte for byte against it). See git-annex-preferred-content(1) "standard" and
// https://git-annex.branchable.com/preferred_content/standard_groups/.

export const STANDARD_GROUPS = [
  'client', 'transfer', 'backup', 'incrementalbackup', 'smallarchive', 'archive', 'source', 'manual', 'public', 'unwanted',
] as const;

export type StandardGroup = (typeof STANDARD_GROUPS)[number];

export function isStandardGroup(group: string): group is StandardGroup {
  return (STANDARD_GROUPS as readonly string[]).includes(group);
}

/** Content not yet in an archive repository. */
const NOT_ARCHIVED = 'not (copies=archive:1 or copies=smallarchive:1)';

/**
 * Most groups also want content that lacks copies (e.g. is only on untrusted or dead repositories); the
 * approximate form skips .gitattributes, which is much faster.
 */
function lastResort(expr: string): string {
  return `(${expr}) or approxlackingcopies=1`;
}

const CLIENT = lastResort(`include=* and ((exclude=*/archive/* and exclude=archive/*) or (${NOT_ARCHIVED}))`);
const ARCHIVE = lastResort(NOT_ARCHIVED);

const EXPRESSIONS: Readonly<Record<StandardGroup, string>> = {
  client: CLIENT,
  transfer: lastResort(`not (inallgroup=client and copies=client:2) and (${CLIENT})`),
  backup: 'anything',
  incrementalbackup: lastResort('(not copies=backup:1) and (not copies=incrementalbackup:1)'),
  smallarchive: lastResort(`(include=*/archive/* or include=archive/*) and (${ARCHIVE})`),
  archive: ARCHIVE,
  source: 'not (copies=1)',
  manual: `present and (${CLIENT})`,
  public: 'inpreferreddir',
  unwanted: 'not anything',
};

export function standardExpression(group: StandardGroup): string {
  return EXPRESSIONS[group];
}

/**
 * The standard group `standard` refers to for a repository in `groups`: only when exactly one of them is
 * a standard group (git-annex's getStandardGroup); otherwise `standard` falls back to `present`.
 */
export function soleStandardGroup(groups: Iterable<string>): StandardGroup | undefined {
  const standard = [...groups].filter(isStandardGroup);
  return standard.length === 1 ? standard[0] : undefined;
}
