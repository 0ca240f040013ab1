import { enabledSpecialRemotes, gitRemotes, specialFactsOf, specialRemoteRecords } from '../../remotes/index.js';
import { ExitCode } from '../../util/index.js';
import type { Command } from '../command.js';
import { jsonOption } from '../command.js';
import { withAnnex } from '../open.js';

export const command: Command = {
  name: 'remotes',
  summary: 'list the remotes: git remotes, special remotes enabled here, and those that can be enabled',
  usage: '',
  description: "One line per remote: name, type, cost, uuid, and what it says about itself. 'ferry info NAME' tells more of a special remote.",
  options: [jsonOption],
  async run(_args, { out, cwd }) {
    return withAnnex(cwd, async (annex) => {
      await annex.branch.update();
      const rows: { name: string; type: string; cost: string; uuid: string; note: string; enabled: boolean }[] = [];
      for (const r of gitRemotes(annex)) {
        rows.push({ name: r.name, type: 'git', cost: r.cost.toFixed(1), uuid: r.uuid ?? '', note: r.skip ? `${r.url} (${r.skip})` : r.url, enabled: true });
      }
      const enabledHere = new Map(enabledSpecialRemotes(annex).map((e) => [e.uuid, e]));
      for (const record of await specialRemoteRecords(annex)) {
        const name = record.config.get('name') ?? record.uuid;
        const local = enabledHere.get(record.uuid);
        const facts = local && specialFactsOf(annex, local, record.config);
        const field = (label: string) => facts?.fields.find(([l]) => l === label)?.[1];
        rows.push({
          name: facts?.name ?? name,
          type: record.config.get('type') ?? '?',
          cost: field('cost') ?? '',
          uuid: record.uuid,
          note: facts ? [`encryption ${record.config.get('encryption') ?? 'none'}`, field('chunking') === 'none' ? '' : `chunking ${field('chunking')}`].filter(Boolean).join(', ')
            : `not enabled here: ferry enableremote ${name}`,
          enabled: facts !== undefined,
        });
      }
      if (out.json) {
        for (const r of rows) out.record({ command: 'remotes', ...r });
        return ExitCode.ok;
      }
      const widths = ['name', 'type', 'cost'].map((k) => Math.max(k.length, ...rows.map((r) => r[k as 'name'].length)));
      const pad = (s: string, i: number) => s.padEnd(widths[i]!);
      for (const r of rows) out.line(`${pad(r.name, 0)}  ${pad(r.type, 1)}  ${pad(r.cost, 2)}  ${r.uuid || '(uuid not known yet)'}  ${r.note}`);
      return ExitCode.ok;
    });
  },
};
