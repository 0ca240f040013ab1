import { Repositories, annexedFiles, keysIn, parseKey, repoInfo } from '../../annex/index.js';
import { specialRemoteFacts } from '../../remotes/index.js';
import type { RemoteFacts } from '../../remotes/index.js';
import type { Annex, Repository } from '../../annex/index.js';
import { ExitCode, formatSize } from '../../util/index.js';
import type { Command } from '../command.js';
import { jsonOption } from '../command.js';
import { inputOf, withAnnex, repoPaths } from '../open.js';

export const command: Command = {
  name: 'info',
  summary: 'show what this repository holds and which repositories it knows; or facts about files or a special remote',
  usage: '[PATH ... | REMOTE]',
  options: [jsonOption],
  async run({ positional }, { out, cwd }) {
    return withAnnex(cwd, async (annex) => {
      const remote = positional.length === 1 ? await specialRemoteFacts(annex, positional[0]!) : undefined;
      if (remote) return await remoteInfo(annex, remote);
      if (positional.length > 0) return await fileInfo(annex, positional);
      const info = await repoInfo(annex);
      const byTrust = (t: string) => info.repositories.filter((r) => r.trust === t);
      // git-annex lists repositories by label (description and remote name), as whereis does.
      const repoList = (rs: readonly Repository[]) => rs.map((r) => ({ uuid: r.uuid, description: r.label, here: r.here }));
      const backends = Object.fromEntries([...info.backends].sort());
      if (out.json) {
        out.record({
          command: 'info', file: null, input: [], success: true, 'error-messages': [],
          'trusted repositories': repoList(byTrust('trusted')),
          'semitrusted repositories': repoList(byTrust('semitrusted')),
          'untrusted repositories': repoList(byTrust('untrusted')),
          'transfers in progress': [],
          ...(info.availableDisk !== undefined ? { 'available local disk space': `${formatSize(info.availableDisk)} (+${formatSize(info.reservedDisk)} reserved)` } : {}),
          'local annex keys': info.localKeys,
          'local annex size': formatSize(info.localSize),
          'annexed files in working tree': info.annexedFiles,
          'size of annexed files in working tree': formatSize(info.annexedSize),
          'backend usage': backends,
        });
        return ExitCode.ok;
      }
      const repos = await Repositories.load(annex);
      const section = (title: string, rs: readonly Repository[]) => {
        out.line(`${title}: ${rs.length}`);
        for (const r of rs) out.line(`\t${repos.describe(r.uuid)}`);
      };
      section('trusted repositories', byTrust('trusted'));
      section('semitrusted repositories', byTrust('semitrusted'));
      section('untrusted repositories', byTrust('untrusted'));
      out.line('transfers in progress: none');
      if (info.availableDisk !== undefined) out.line(`available local disk space: ${formatSize(info.availableDisk)} (+${formatSize(info.reservedDisk)} reserved)`);
      out.line(`local annex keys: ${info.localKeys}`);
      out.line(`local annex size: ${formatSize(info.localSize)}`);
      out.line(`annexed files in working tree: ${info.annexedFiles}`);
      out.line(`size of annexed files in working tree: ${formatSize(info.annexedSize)}`);
      out.line('backend usage: ');
      for (const [b, n] of Object.entries(backends)) out.line(`\t${b}: ${n}`);
      return ExitCode.ok;
    });

    /** A special remote, as git-annex's info REMOTE shows one. */
    async function remoteInfo(annex: Annex, facts: RemoteFacts): Promise<number> {
      const repos = await Repositories.load(annex);
      const repo = repos.get(facts.uuid);
      const held = await keysIn(annex, facts.uuid);
      const fields: (readonly [string, string | number])[] = [
        ['uuid', facts.uuid], ['description', repo.label], ['trust', repo.trust], ['remote', facts.name],
        ...facts.fields, ['remote annex keys', held.keys], ['remote annex size', formatSize(held.size)],
      ];
      if (out.json) {
        out.record({ command: `info ${positional[0]!}`, file: null, input: [...positional], success: true, 'error-messages': [], ...Object.fromEntries(fields) });
      } else {
        for (const [label, value] of fields) out.line(`${label}: ${value}`);
      }
      return ExitCode.ok;
    }

    async function fileInfo(annex: Annex, args: readonly string[]): Promise<number> {
      const paths = repoPaths(annex, args, cwd);
      // git-annex answers each PATH in the order given, not in the index's order.
      const files = (await Promise.all(paths.map((p) => annexedFiles(annex, [p])))).flat();
      for (const f of files) {
        const file = annex.repo.displayPath(f.path);
        const size = parseKey(f.key)?.size;
        const present = await annex.objects.has(f.key);
        const sizeText = size === undefined ? 'unknown' : formatSize(size);
        out.line(`file: ${file}\nsize: ${sizeText}\nkey: ${f.key}\npresent: ${present}`);
        out.record({ command: `info ${file}`, file, key: f.key, present, size: sizeText, input: inputOf(args, paths, f.path), success: true, 'error-messages': [] });
      }
      return files.length > 0 ? ExitCode.ok : ExitCode.failed;
    }
  },
};
