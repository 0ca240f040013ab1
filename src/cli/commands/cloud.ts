import { refuseWhileAssistantRuns } from '../../assistant/index.js';
import { parseParamWords } from '../../remotes/index.js';
import { DEFAULT_CHUNK, buildJoinCode, cloudGc, createCloud, isRetiredRemote, rotateCloud } from '../../sync/index.js';
import type { CloudCreateResult, RotateResult } from '../../sync/index.js';
import { ExitCode, UsageError } from '../../util/index.js';
import type { ParsedArgs } from '../args.js';
import type { Command, CommandContext } from '../command.js';
import { jsonOption } from '../command.js';
import { withAnnex } from '../open.js';
import type { Output } from '../output/output.js';

const DEFAULT_GRACE_HOURS = 24;
const SECRET_WARNING = 'This join code is a secret: it holds the key to everything in the cloud. Pass it only to your own machines, over a channel you trust; do not paste it into chats, issues or logs.';

export const command: Command = {
  name: 'cloud',
  summary: 'make a cloud store two machines sync through, print its join code, look after its git history',
  usage: 'create NAME type=directory|S3 [param=value ...] | show-code [NAME] | rotate NAME [NEWNAME] [param=value ...] | gc [REMOTE ...]',
  description: [
    'create NAME type=directory directory=PATH | type=S3 bucket=… [host=… port=… protocol=… fileprefix=…]:',
    '  makes the special remote NAME (encryption=shared; encryption=none only with --plaintext; chunk=',
    `  ${DEFAULT_CHUNK} unless chunk= is given, so an interrupted upload resumes from its last chunk and a GiB`,
    '  costs 128 requests) in group transfer with wanted standard, the git remote NAME-git = ferry::NAME in',
    '  the same store, and the notifier settings (--notify, repeatable: relay=URL, mqtt=URL, xmpp=JID, or',
    '  none: poll only, a change is seen within about 30 s). It puts this repository in group client with',
    '  wanted standard unless it has a group, sets annex.addunlocked=true (files are ordinary writable files;',
    '  each takes twice its size on disk, the work-tree copy and the annex object, unless the file system',
    '  has reflinks), pushes, and prints the join code for `ferry join`. Run again, it checks that NAME is',
    '  the same store and prints the code again; it never makes a second store.',
    '  --embed-credentials puts the S3 key pair and the notifier passwords in the code too.',
    'show-code [NAME]: prints the join code of cloud NAME again (default: the only one).',
    'The join code is a secret (it holds the cipher): never share it beyond your own machines.',
    'rotate NAME [NEWNAME] [param=value ...]: shuts out a lost device. Until a rotation, every device that ever',
    '  had the code keeps reading the cloud. rotate makes a new cloud NEWNAME (default NAME-2) with a fresh',
    '  secret, the same type and parameters, in a fresh place (a directory store: the subfolder',
    '  rotated-NEWNAME of the old folder; S3: fileprefix OLDPREFIXrotated-NEWNAME/; directory=, bucket=,',
    '  fileprefix= choose another), copies every key the old store has into it and pushes the history there.',
    '  The old git remote NAME-git is retired (remote.NAME-git.ferry-retired=true: sync, the assistant and',
    '  git push never write to it again, since this history now holds the new secret) and NAME is marked dead',
    '  in the new history only. It prints the new join code; other devices move with `ferry rejoin CODE`',
    '  (in place) or `ferry join CODE` (a new folder). Run again after a failure, it finishes the same rotation.',
    'gc: for each ferry:: git remote (or those named), puts back bundles of this repository that the store',
    'lost, and deletes bundles that no peer\'s manifest lists once they have been unlisted for the grace',
    `period (default ${DEFAULT_GRACE_HOURS} hours, at least 24: a push in progress uploads its bundle before its`,
    'manifest). Pushes merge this repository\'s own bundles by size tiers as they go; --full merges them all',
    'into one now. Other peers\' bundles are theirs to merge. See docs/cloudgit-format.md.',
  ].join('\n'),
  options: [
    jsonOption,
    { name: 'notify', kind: 'string', value: 'SPEC', help: 'create: a notifier (relay=URL, mqtt=URL, xmpp=JID, none); repeatable' },
    { name: 'plaintext', kind: 'boolean', help: 'create: encryption=none (the store reads everything, history included)' },
    { name: 'embed-credentials', kind: 'boolean', help: 'create, show-code, rotate: put the S3 key pair and notifier passwords in the code' },
    { name: 'full', kind: 'boolean', help: 'gc: merge all of this repository\'s bundles into one' },
    { name: 'grace', kind: 'string', help: 'gc: hours a bundle must have been unlisted before it is deleted (≥ 24)' },
  ],
  async run(args, ctx) {
    const sub = args.positional[0];
    if (sub === 'create') return create(args, ctx);
    if (sub === 'show-code') return showCode(args, ctx);
    if (sub === 'rotate') return rotate(args, ctx);
    if (sub === 'gc') return gc(args, ctx);
    throw new UsageError(sub === undefined ? 'Specify what to do: create, show-code, rotate or gc.' : `unknown cloud command '${sub}'`, 'ferry cloud create NAME type=… | show-code [NAME] | rotate NAME | gc [REMOTE ...]');
  },
};

async function create({ positional, options, repeated }: ParsedArgs, { out, cwd }: CommandContext): Promise<number> {
  const [, name, ...words] = positional;
  if (name === undefined || name.includes('=')) throw new UsageError('Specify a name for the cloud.', "e.g. 'ferry cloud create cloud type=directory directory=/mnt/usb/cloud'");
  const notify = repeated?.get('notify');
  return withAnnex(cwd, async (annex) => {
    const r = await createCloud(annex, {
      name, params: parseParamWords(words), notify, cwd,
      plaintext: options.get('plaintext') === true, embedCredentials: options.get('embed-credentials') === true,
    });
    reportCreated(out, r);
    return ExitCode.ok;
  });
}

function reportCreated(out: Output, r: CloudCreateResult): void {
  out.line(r.created ? `cloud create ${r.name}: special remote ${r.name} (${r.uuid}) and git remote ${r.gitRemote} = ferry::${r.name}, pushed`
    : `cloud create ${r.name}: ${r.name} is already this cloud (${r.uuid}); settings checked, pushed`);
  if (r.keptGroups.length > 0) out.line(`  this repository keeps its group(s) ${r.keptGroups.join(' ')} (not made a client: 'ferry group here client' if it should be one)`);
  else out.line('  this repository is now in group client (wanted standard)');
  out.line('  annex.addunlocked=true: new files stay ordinary writable files; each takes twice its size on disk (the file and its annex copy) unless the file system has reflinks');
  if (r.notify.length === 0) {
    out.line('  no notifier: other machines see changes by polling the store, within about 30 s. For promptness, add one:');
    out.line(`    ferry relay on a host both networks reach, then: ferry cloud create ${r.name} … --notify relay=ws://HOST:PORT`);
    out.line('    an MQTT broker (--notify mqtt=mqtts://USER@HOST), or an XMPP account (--notify xmpp=USER@HOST)');
  } else out.line(`  notifiers: ${r.notify.join(' ')}`);
  printCode(out, r.code, { command: 'cloud create', name: r.name, uuid: r.uuid, created: r.created, notify: r.notify, 'kept-groups': r.keptGroups });
}

async function showCode({ positional, options }: ParsedArgs, { out, cwd }: CommandContext): Promise<number> {
  return withAnnex(cwd, async (annex) => {
    let name = positional[1];
    if (name === undefined) {
      // Retired clouds (cloud rotate) are not offered: their codes open the history a lost device may read.
      const clouds = [...annex.repo.config.keysWithPrefix('remote.')]
        .map((k) => {
          const remote = /^remote\.(.+)\.url$/.exec(k)?.[1];
          return remote !== undefined && !isRetiredRemote(annex.repo, remote) ? /^ferry::([^?/]+)(\?.*)?$/.exec(annex.repo.config.get(k) ?? '')?.[1] : undefined;
        })
        .filter((n): n is string => n !== undefined);
      const unique = [...new Set(clouds)];
      if (unique.length !== 1) throw new UsageError(unique.length === 0 ? 'this repository has no cloud (ferry cloud create makes one)' : `this repository has ${unique.length} clouds (${unique.join(', ')}): say which`);
      name = unique[0]!;
    }
    const { code, content } = await buildJoinCode(annex, name, { embedCredentials: options.get('embed-credentials') === true });
    printCode(out, code, { command: 'cloud show-code', name: content.name, uuid: content.uuid });
    return ExitCode.ok;
  });
}

/** The code alone on its line (easy to select), the warning on stderr; with --json, one object with `code`. */
function printCode(out: Output, code: string, record: Record<string, unknown>): void {
  out.warn(SECRET_WARNING);
  out.line('join code (on another machine: ferry join CODE):');
  out.line(code);
  out.record({ ...record, code, success: true, 'error-messages': [] });
}

async function rotate({ positional, options }: ParsedArgs, { out, cwd }: CommandContext): Promise<number> {
  const [, name, ...rest] = positional;
  if (name === undefined || name.includes('=')) throw new UsageError('Specify the cloud to rotate.', 'ferry cloud rotate NAME [NEWNAME] [param=value ...]');
  const newName = rest[0] !== undefined && !rest[0].includes('=') ? rest[0] : undefined;
  const words = newName !== undefined ? rest.slice(1) : rest;
  return withAnnex(cwd, async (annex) => {
    await refuseWhileAssistantRuns(annex.repo.gitDir, 'cloud rotate');
    const r = await rotateCloud(annex, {
      name, params: parseParamWords(words), cwd, embedCredentials: options.get('embed-credentials') === true,
      ...(newName !== undefined ? { newName } : {}),
    });
    reportRotated(out, r);
    return r.failed.length > 0 ? ExitCode.failed : ExitCode.ok;
  });
}

function reportRotated(out: Output, r: RotateResult): void {
  out.line(`cloud rotate ${r.name}: ${r.resumed ? 'finished the rotation to' : 'new cloud'} ${r.newName} (${r.uuid}) at ${r.place}, git remote ${r.gitRemote} = ferry::${r.newName}, pushed`);
  out.line(`  ${r.copied} key(s) in ${r.newName}${r.failed.length > 0 ? `; ${r.failed.length} could not be copied (run rotate again to retry):` : ''}`);
  for (const f of r.failed) out.line(`    ${f.item.path ?? f.item.key}: ${f.error ?? 'failed'}`);
  out.line(`  ${r.retired} is retired (remote.${r.retired}.ferry-retired=true): nothing is pushed there any more; ${r.name} is read-only here and dead in the new history`);
  out.line('  on each device you keep: ferry rejoin CODE (in place) or ferry join CODE (a new folder); a device that never gets the new code sees nothing new');
  if (r.notify.length > 0) out.line(`  notifiers (same as ${r.name}'s): ${r.notify.join(' ')}`);
  printCode(out, r.code, { command: 'cloud rotate', name: r.newName, uuid: r.uuid, 'old-name': r.name, 'old-uuid': r.oldUuid, retired: r.retired, copied: r.copied, failed: r.failed.length, resumed: r.resumed });
}

async function gc({ positional, options }: ParsedArgs, { out, cwd }: CommandContext): Promise<number> {
  const remotes = positional.slice(1);
  const graceText = options.get('grace') as string | undefined;
  const hours = graceText === undefined ? DEFAULT_GRACE_HOURS : Number(graceText);
  if (!Number.isFinite(hours) || hours < 24) throw new UsageError(`--grace: expected a number of hours ≥ 24, got '${graceText}'`);
  return withAnnex(cwd, async (annex) => {
    const results = await cloudGc(annex, remotes, { full: options.get('full') === true, graceMs: hours * 3_600_000 });
    for (const { remote, result: r } of results) {
      out.line(`cloud gc ${remote} (${r.restored > 0 ? `${r.restored} lost bundles put back; ` : ''}own bundles ${r.ownBefore} → ${r.ownAfter}; ${r.deleted} deleted, ${r.waiting} waiting for the grace period) ok`);
      out.record({ command: 'cloud gc', remote, success: true, ...r, 'error-messages': [] });
    }
    return ExitCode.ok;
  });
}
