// Change notices of one ferry:: remote (ARCHITECTURE "Notifier"): which notifiers it uses, sealed with what,
// as which peer, and poll's probe of its manifests. sync/ is where a ferry:: remote's secret, peer and cloud
// are known, so this is where notify/ gets them; notify/ never sees cloudgit.
//
// Settings: `remote.NAME.ferry-notify`, one value per notifier (`relay=ws://HOST:PORT`, `mqtt=mqtt://HOST`,
// `xmpp=USER@HOST`, `poll`, `poll=off`), on the ferry:: git remote. poll is on unless `poll=off` is one of
// them. A password (MQTT, XMPP) comes from FERRY_<TRANSPORT>_PASSWORD or the file named by
// `remote.NAME.ferry-<transport>-password-file`, never from the command line or the setting itself.
import { readFile } from 'node:fs/promises';
import type { Annex, AnnexRepo } from '../annex/index.js';
import type { PeerProgress } from '../cloudgit/index.js';
import { NO_PEER, NoticeChannel, createNotifier, needsPassword, parseNotifierSpec } from '../notify/index.js';
import type { ManifestProbe, Notifier, NotifierSpec } from '../notify/index.js';
import { openSpecialStore } from '../remotes/index.js';
import { FerryError, UsageError, errorMessage, warn } from '../util/index.js';
import { cloudGitRemotes } from './cloud-gc.js';
import { resolveCloud } from './cloud-remote.js';
import type { ResolvedCloud } from './cloud-remote.js';

export interface NotifySession {
  /** The ferry:: git remote (or, without one, the encrypted special remote) whose secret seals the notices. */
  readonly remote: string;
  /** This repository's peer id in that cloud; NO_PEER without a ferry:: remote. */
  readonly peer: string;
  readonly notifiers: readonly { readonly spec: NotifierSpec; readonly notifier: Notifier }[];
  /** This peer's last published seq (0 without a ferry:: remote). */
  ownSeq(): Promise<number>;
  /** Each other peer's seq already fetched here. */
  seen(): Promise<Map<string, number>>;
  /** What the manifests fetched here say of the other peers (seq, when, which repository). */
  peers(): Promise<PeerProgress[]>;
  close(): Promise<void>;
}

export interface NotifyOptions {
  /** The ferry:: git remote (or special remote) to use; default: the only ferry:: remote. */
  readonly remote?: string;
  /** Notifier settings to use instead of the configured ones. */
  readonly via?: readonly string[];
}

/** The notifiers of a ferry:: remote, created but not started. The caller closes the session. */
export async function openNotify(annex: Annex, opts: NotifyOptions = {}): Promise<NotifySession> {
  const clouds = cloudGitRemotes(annex);
  const remote = opts.remote ?? onlyOne(clouds);
  if (remote === undefined || !clouds.has(remote)) return openWithoutCloud(annex, remote, opts.via);
  const specs = notifierSpecs(annex.repo, remote, opts.via, true);
  const resolved = await resolveCloud(annex.repo, remote, clouds.get(remote)!.slice('ferry::'.length), () => undefined);
  try {
    const { cloud } = resolved;
    const channel = new NoticeChannel(resolved.secret, resolved.uuid);
    const probe: ManifestProbe = () => cloud.probe();
    const notifiers = await createAll(annex.repo, remote, specs, channel, probe);
    return {
      remote,
      peer: cloud.peer,
      notifiers,
      ownSeq: async () => (await cloud.progress()).seq,
      seen: async () => (await cloud.progress()).seen,
      peers: async () => (await cloud.progress()).peers,
      close: async () => {
        await Promise.allSettled(notifiers.map((n) => n.notifier.close()));
        await resolved.close();
      },
    };
  } catch (err) {
    await resolved.close();
    throw err;
  }
}

function onlyOne(clouds: Map<string, string>): string | undefined {
  if (clouds.size > 1) {
    throw new UsageError(`this repository has ${clouds.size} ferry:: remotes (${[...clouds.keys()].join(', ')}): say which with --remote`);
  }
  return clouds.keys().next().value;
}

/** The configured notifier settings of `remote` (or `via`), checked, with poll added (`withPoll`) unless turned off. */
function notifierSpecs(repo: AnnexRepo, remote: string, via: readonly string[] | undefined, withPoll: boolean): NotifierSpec[] {
  const texts = via ?? repo.config.getAll(`remote.${remote}.ferry-notify`);
  const specs: NotifierSpec[] = [];
  let pollOff = false;
  for (const text of texts) {
    const spec = parseNotifierSpec(text);
    if (spec === undefined) pollOff = true;
    else specs.push(spec);
  }
  // Poll is the safety net: on unless turned off, and never twice. An explicit --via list is taken as is.
  if (withPoll && via === undefined && !pollOff && !specs.some((s) => s.transport === 'poll')) specs.push(parseNotifierSpec('poll')!);
  return specs;
}

async function createAll(repo: AnnexRepo, remote: string, specs: readonly NotifierSpec[], channel: NoticeChannel, probe: ManifestProbe | undefined): Promise<{ spec: NotifierSpec; notifier: Notifier }[]> {
  const out: { spec: NotifierSpec; notifier: Notifier }[] = [];
  for (const spec of specs) {
    const password = needsPassword(spec) ? await readPassword(repo, remote, spec.transport) : undefined;
    out.push({ spec, notifier: createNotifier(spec, { channel, ...(probe ? { probe } : {}), ...(password !== undefined ? { password } : {}) }) });
  }
  return out;
}

export async function readPassword(repo: AnnexRepo, remote: string, transport: string): Promise<string | undefined> {
  const fromEnv = process.env[`FERRY_${transport.toUpperCase()}_PASSWORD`];
  if (fromEnv !== undefined) return fromEnv;
  const key = `remote.${remote}.ferry-${transport}-password-file`;
  const file = repo.config.get(key);
  if (file === undefined) return undefined;
  try {
    return (await readFile(file, 'utf8')).replace(/\r?\n$/, '');
  } catch (err) {
    throw new FerryError(`${key}: cannot read ${file}: ${(err as Error).message}`, { cause: err, hint: `point ${key} at a readable file holding only the password` });
  }
}

/**
 * A repository with no ferry:: remote: notices of peer `none` and seq 0, sealed with an encrypted special
 * remote's cipher (for trying a transport out; there is nothing to poll).
 */
async function openWithoutCloud(annex: Annex, remote: string | undefined, via: readonly string[] | undefined): Promise<NotifySession> {
  if (remote === undefined) {
    throw new FerryError('this repository has no ferry:: remote to send notices for', {
      hint: 'name an encrypted special remote with --remote NAME, or add a cloud git remote: git remote add NAME-git ferry::NAME',
    });
  }
  const special = await openSpecialStore(annex, remote);
  await special.store.close();
  if (special.secret === undefined) {
    throw new FerryError(`special remote ${remote} is not encrypted (encryption=none): it has no secret to seal notices with`, {
      hint: 'use a ferry:: remote or a special remote with encryption=shared',
    });
  }
  const channel = new NoticeChannel(special.secret, special.uuid);
  const notifiers = await createAll(annex.repo, remote, notifierSpecs(annex.repo, remote, via, false), channel, undefined);
  return {
    remote,
    peer: NO_PEER,
    notifiers,
    ownSeq: () => Promise.resolve(0),
    seen: () => Promise.resolve(new Map()),
    peers: () => Promise.resolve([]),
    close: async () => {
      await Promise.allSettled(notifiers.map((n) => n.notifier.close()));
    },
  };
}

/** How long a push waits for its notifiers to connect and take the notice. */
const ANNOUNCE_WAIT_MS = 5000;

/**
 * The settings a push to `remote` announces through: its prompt notifiers (not poll: the push itself is what
 * poll sees). A setting that does not parse is a warning, never a failed push: a notice is only a hint.
 */
export function pushNotifiers(repo: AnnexRepo, remote: string): NotifierSpec[] {
  try {
    return notifierSpecs(repo, remote, undefined, false).filter((s) => s.transport !== 'poll');
  } catch (err) {
    warn(`${remote}: pushes are not announced: ${errorMessage(err)}`);
    return [];
  }
}

/**
 * After a push to `remote`: tells the notifiers of `specs` (default: pushNotifiers). A notifier that cannot be
 * reached in ANNOUNCE_WAIT_MS, or whose password cannot be read, is a warning, never a failed push.
 */
export async function announcePush(repo: AnnexRepo, remote: string, resolved: ResolvedCloud, specs = pushNotifiers(repo, remote)): Promise<void> {
  if (specs.length === 0) return;
  const channel = new NoticeChannel(resolved.secret, resolved.uuid);
  const notice = { peer: resolved.cloud.peer, seq: (await resolved.cloud.progress()).seq, time: Date.now() };
  let notifiers: { spec: NotifierSpec; notifier: Notifier }[];
  try {
    notifiers = await createAll(repo, remote, specs, channel, undefined);
  } catch (err) {
    warn(`${remote}: could not announce the push: ${errorMessage(err)} (other machines see it when they poll)`);
    return;
  }
  await Promise.all(notifiers.map(async ({ spec, notifier }) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ANNOUNCE_WAIT_MS / 1000} s`)), ANNOUNCE_WAIT_MS);
    });
    try {
      await Promise.race([notifier.start(() => undefined).then(() => notifier.announce(notice)), timeout]);
    } catch (err) {
      warn(`${remote}: could not announce the push through ${spec.text}: ${errorMessage(err)} (other machines see it when they poll)`);
    } finally {
      clearTimeout(timer);
      await notifier.close();
    }
  }));
}
