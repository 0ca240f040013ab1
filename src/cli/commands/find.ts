import { Repositories, globToRegExp, hashDirLower, hashDirMixed, parseKey, whereabouts } from '../../annex/index.js';
import { ExitCode, UsageError, formatSizeShort } from '../../util/index.js';
import type { Command } from '../command.js';
import { jsonOption } from '../command.js';
import { selectedFiles, withAnnex } from '../open.js';

export const command: Command = {
  name: 'find',
  summary: 'list annexed files whose content is here (or in another repository)',
  usage: '[PATH ...]',
  options: [
    jsonOption,
    { name: 'in', kind: 'string', value: 'REPO', help: 'files whose content is in REPO (here, a remote name, or a uuid); default here' },
    { name: 'missing', kind: 'boolean', help: 'files whose content is NOT here' },
    { name: 'include', kind: 'string', value: 'GLOB', help: 'only files whose path matches GLOB' },
    { name: 'exclude', kind: 'string', value: 'GLOB', help: 'skip files whose path matches GLOB' },
    { name: 'print0', kind: 'boolean', help: 'end each file name with NUL instead of a newline' },
  ],
  async run({ positional, options }, { out, cwd }) {
    return withAnnex(cwd, async (annex) => {
      const { files, unmatched } = await selectedFiles(annex, positional, cwd, out);
      const repos = await Repositories.load(annex);
      const wanted = String(options.get('in') ?? 'here');
      const repo = wanted === 'here' || wanted === '.'
        ? annex.uuid
        : repos.all().find((r) => r.remote === wanted || r.uuid === wanted || r.description === wanted)?.uuid;
      if (repo === undefined) throw new UsageError(`ferry find: no repository named '${wanted}'`, "name it by remote name, uuid or description (see 'ferry info')");
      const include = options.has('include') ? globToRegExp(String(options.get('include'))) : undefined;
      const exclude = options.has('exclude') ? globToRegExp(String(options.get('exclude'))) : undefined;
      const where = repo === annex.uuid ? undefined : await whereabouts(annex, repos, files.map((f) => f.key));
      const missing = options.get('missing') === true;
      for (const f of files) {
        if (include && !include.test(f.path)) continue;
        if (exclude && exclude.test(f.path)) continue;
        const has = where ? [...where.get(f.key)!.copies, ...where.get(f.key)!.untrusted].some((r) => r.uuid === repo) : await annex.objects.has(f.key);
        if (has === missing) continue;
        const file = annex.repo.displayPath(f.path);
        if (out.json) {
          const k = parseKey(f.key);
          out.record({
            file, key: f.key, backend: k?.backend, keyname: k?.name, bytesize: k?.size === undefined ? 'unknown' : String(k.size),
            humansize: k?.size === undefined ? 'unknown' : formatSizeShort(k.size), mtime: k?.mtime === undefined ? 'unknown' : String(k.mtime),
            hashdirlower: `${hashDirLower(f.key)}/`, hashdirmixed: `${hashDirMixed(f.key)}/`, 'error-messages': [],
          });
        } else out.write(`${file}${options.get('print0') === true ? '\0' : '\n'}`);
      }
      return unmatched > 0 ? ExitCode.failed : ExitCode.ok;
    });
  },
};
