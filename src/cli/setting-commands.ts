// What the setting commands (wanted, required, groupwanted, group, ungroup, trust, semitrust, untrust,
// dead, describe, numcopies, mincopies) share: naming repositories, and git-annex's report of each change,
// "wanted here ok" / "wanted here failed" on stdout, the problem on stderr, then
// "(recording state in git...)" once the git-annex branch is committed and "wanted: N failed" at the end.
// git-annex has no --json for these commands; ferry's records follow its usual shape (command, input,
// success, error-messages) with the setting's value beside them.
import {
  ExpressionError, KeyStillPresentError, RemoteWithoutUuidError, Repositories, TrustNeedsForceError, contentExpression, copiesSetting, parseCount,
  setContentExpression, setCopiesSetting, setTrust,
} from '../annex/index.js';
import type { Annex, ContentSetting, CopiesSetting, TrustLevel } from '../annex/index.js';
import { openRemotes } from '../remotes/index.js';
import { ExitCode, FerryError, UsageError } from '../util/index.js';
import type { OptionSpec } from './args.js';
import type { Command } from './command.js';
import { jsonOption } from './command.js';
import { withAnnex } from './open.js';
import type { Output } from './output/output.js';

/**
 * The uuid of the repository a user names (remote name, uuid, description, `here` or `.`). A git remote
 * on a path whose uuid this repository has not seen yet is looked at, and its uuid recorded, as
 * git-annex does when it lists its remotes.
 */
export async function resolveRepository(annex: Annex, repos: Repositories, name: string): Promise<string> {
  // git-annex's message for an empty name, before any lookup.
  if (name === '') throw new FerryError('no repository name specified', { hint: "name a repository: a remote, a uuid, a description or 'here'" });
  try {
    return repos.resolve(name);
  } catch (err) {
    if (!(err instanceof RemoteWithoutUuidError)) throw err;
    const opened = await openRemotes(annex, [name]);
    opened.close();
    const uuid = opened.remotes[0]?.uuid;
    if (uuid === undefined) throw err;
    return uuid;
  }
}

/** Opens the repository list after merging other repositories' git-annex branches, as git-annex does first. */
export async function loadRepositories(annex: Annex): Promise<Repositories> {
  await annex.branch.update();
  return Repositories.load(annex);
}

/** Refuses a wrong number of arguments with git-annex's sentence. */
export function requireArgs(positional: readonly string[], ok: (n: number) => boolean, message: string, usage: string): void {
  if (!ok(positional.length)) throw new UsageError(message, `usage: ferry ${usage}`);
}

export interface SettingChange {
  /** What git-annex prints after the command name: "here", "bob", "3". */
  readonly label: string;
  /** The arguments this change came from, for the JSON `input` field. */
  readonly input: readonly string[];
  /** Extra JSON fields (uuid, expression, ...). */
  readonly fields?: Record<string, unknown>;
  /** Makes the change through the journal; throws to fail this change only. */
  apply(): Promise<void>;
}

/** Errors that fail one change and let the others go on (git-annex's per-item "failed"). */
function isItemFailure(err: unknown): err is FerryError {
  return err instanceof ExpressionError || err instanceof TrustNeedsForceError || err instanceof KeyStillPresentError;
}

/**
 * Applies `changes` in order, reporting each as git-annex does, then commits the git-annex branch. An
 * error that belongs to one change (a bad expression) fails that change; any other (an unknown
 * repository) stops the command, as git-annex's giveup does, after committing what was done.
 */
export async function applyChanges(annex: Annex, out: Output, command: string, changes: Iterable<SettingChange>): Promise<number> {
  let failed = 0;
  try {
    for (const c of changes) {
      try {
        await c.apply();
      } catch (err) {
        if (!isItemFailure(err)) throw err;
        failed++;
        out.warn(`ferry: ${err.message}`);
        if (err.hint) out.warn(`hint: ${err.hint}`);
        out.line(`${command} ${c.label} failed`);
        out.record({ command, input: c.input, ...c.fields, success: false, 'error-messages': [err.message] });
        continue;
      }
      out.line(`${command} ${c.label} ok`);
      out.record({ command, input: c.input, ...c.fields, success: true, 'error-messages': [] });
    }
  } finally {
    if ((await annex.branch.commit('update')) !== undefined) out.line('(recording state in git...)');
  }
  if (failed > 0) out.warn(`${command}: ${failed} failed`);
  return failed > 0 ? ExitCode.failed : ExitCode.ok;
}

/** Prints a setting's current value: the bare value as git-annex prints it, or a JSON record. */
export function showValue(out: Output, command: string, input: readonly string[], text: string, fields: Record<string, unknown>): number {
  out.line(text);
  out.record({ command, input, ...fields, success: true, 'error-messages': [] });
  return ExitCode.ok;
}

interface Help {
  readonly summary: string;
  readonly description?: string;
}

/** `wanted` and `required`: REPO prints the expression, REPO EXPRESSION sets it. */
export function contentExpressionCommand(name: ContentSetting, help: Help): Command {
  return {
    name, ...help, usage: 'REPO [EXPRESSION]', options: [jsonOption],
    async run({ positional }, { out, cwd }) {
      requireArgs(positional, (n) => n === 1 || n === 2, 'Specify a repository.', `${name} REPO [EXPRESSION]`);
      const [repo, expression] = positional as [string, string | undefined];
      return withAnnex(cwd, async (annex) => {
        const repos = await loadRepositories(annex);
        if (expression === undefined) {
          const uuid = await resolveRepository(annex, repos, repo);
          const current = (await contentExpression(annex, name, uuid)) ?? '';
          return showValue(out, name, positional, current, { uuid, expression: current });
        }
        return applyChanges(annex, out, name, [{
          label: repo, input: positional, fields: { expression },
          apply: async () => setContentExpression(annex, name, await resolveRepository(annex, repos, repo), expression),
        }]);
      });
    },
  };
}

/** `trust`, `semitrust`, `untrust`: set the trust level of each REPO in turn. */
export function trustCommand(name: string, level: Exclude<TrustLevel, 'dead'>, help: Help): Command {
  const force: OptionSpec = { name: 'force', kind: 'boolean', help: 'trust even though dropping from the repository may then lose data' };
  return {
    name, ...help, usage: 'REPO ...', options: level === 'trusted' ? [jsonOption, force] : [jsonOption],
    async run({ positional, options }, { out, cwd }) {
      requireArgs(positional, (n) => n > 0, 'no repository name specified', `${name} REPO ...`);
      return withAnnex(cwd, async (annex) => {
        const repos = await loadRepositories(annex);
        return applyChanges(annex, out, name, positional.map((repo) => ({
          label: repo, input: [repo], fields: { trustlevel: level },
          apply: async () => {
            const uuid = await resolveRepository(annex, repos, repo);
            if (level === 'trusted' && options.get('force') !== true) throw new TrustNeedsForceError(repo);
            await setTrust(annex, uuid, level);
            warnOverride(out, repos, uuid);
          },
        })));
      });
    },
  };
}

/** git-annex's warning when remote.NAME.annex-trustlevel makes the change moot here. */
export function warnOverride(out: Output, repos: Repositories, uuid: string): void {
  const forced = repos.trustOverride(uuid);
  if (forced !== undefined) out.warn(`  This remote's trust level is overridden to ${forced}.`);
}

/** `numcopies` and `mincopies`: no argument prints the setting, N sets it. */
export function copiesCommand(name: CopiesSetting, help: Help): Command {
  return {
    name, ...help, usage: '[N]', options: [jsonOption],
    async run({ positional }, { out, cwd }) {
      requireArgs(positional, (n) => n <= 1, 'Specify a single number.', `${name} [N]`);
      return withAnnex(cwd, async (annex) => {
        await annex.branch.update();
        const [given] = positional;
        if (given === undefined) {
          const value = await copiesSetting(annex, name);
          const text = value !== undefined ? String(value) : notSetText(name, annex.repo.config.get('annex.numcopies'));
          return showValue(out, name, [], text, { [name]: value ?? null });
        }
        const n = parseCount(name, given);
        return applyChanges(annex, out, name, [{ label: String(n), input: positional, fields: { [name]: n }, apply: () => setCopiesSetting(annex, name, n) }]);
      });
    },
  };
}

/** git-annex's answer when the branch has no value: numcopies mentions its default or the deprecated git config. */
function notSetText(name: CopiesSetting, deprecated: string | undefined): string {
  if (name === 'mincopies') return 'global mincopies is not set';
  const note = deprecated === undefined ? '(default is 1)' : `(deprecated git config annex.numcopies is set to ${deprecated} locally)`;
  return `global numcopies is not set\n${note}`;
}
