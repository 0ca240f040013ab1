import { relative } from 'node:path';
import { joinCloud } from '../../sync/index.js';
import { ExitCode, UsageError } from '../../util/index.js';
import type { Command } from '../command.js';
import { jsonOption } from '../command.js';

export const command: Command = {
  name: 'join',
  summary: 'join a cloud made with `ferry cloud create`: clone it into a new folder, ready to sync',
  usage: 'CODE [DIR] [directory=PATH]',
  description: [
    'CODE is what `ferry cloud create` or `ferry cloud show-code` printed on another machine. It is a secret',
    '(it holds the cipher) and ferry never logs it; give - to read it from standard input, which keeps it',
    'out of the shell\'s history and of `ps`.',
    'Clones the cloud\'s history through git-remote-ferry into DIR (default: the name of the folder the cloud',
    'was created from, else the remote\'s name), runs ferry init, enables the special remote, makes the git',
    'remote NAME-git = ferry::NAME, puts this repository in group client (wanted standard), sets',
    'annex.addunlocked=true and the notifier settings (and passwords, when the code carries them, in mode-600',
    'files under .git/ferry/). A directory store\'s path in the code is where the first machine sees it:',
    'directory=PATH gives where this one does; the folder must hold that cloud (its marker is checked).',
    'A damaged code, a missing store or a wrong folder is an error, and nothing is left behind.',
  ].join('\n'),
  options: [jsonOption],
  async run({ positional }, { out, cwd }) {
    const directory = positional.find((p) => p.startsWith('directory='))?.slice('directory='.length);
    const rest = positional.filter((p) => !p.startsWith('directory='));
    const [code, dir, ...extra] = rest;
    if (code === undefined) throw new UsageError('Specify the join code.', 'ferry join CODE [DIR] [directory=PATH]');
    if (extra.length > 0) throw new UsageError(`ferry join: unexpected argument '${extra[0]}'`, 'ferry join CODE [DIR] [directory=PATH]');
    const text = code === '-' ? await readStdin() : code;
    const r = await joinCloud({ code: text, cwd, ...(dir !== undefined ? { dir } : {}), ...(directory !== undefined ? { directory } : {}) });
    const shown = relative(cwd, r.dir) || '.';
    out.line(`join ${r.name}: cloned into ${shown}; git remote ${r.gitRemote} = ferry::${r.name}; this repository is in group client ok`);
    if (r.passwords.length > 0) out.line(`  notifier passwords (${r.passwords.join(', ')}) kept in .git/ferry/, mode 600`);
    out.line('next:');
    out.line(`  cd ${shown}`);
    out.line('  ferry get .            # fetch the content of the files (or name some)');
    out.line(`  ferry sync ${r.gitRemote}  # send your changes and receive theirs (ferry sync --content moves content too)`);
    out.line('  ferry assistant        # later: keep this folder in sync by itself');
    out.record({ command: 'join', success: true, name: r.name, uuid: r.uuid, dir: r.dir, 'git-remote': r.gitRemote, notify: r.notify, 'error-messages': [] });
    return ExitCode.ok;
  },
};

/** The join code from standard input (`-`): kept out of the shell's history and of `ps`. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
