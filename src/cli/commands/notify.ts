import { NO_PEER } from '../../notify/index.js';
import type { ChangeNotice, Notifier } from '../../notify/index.js';
import { openNotify } from '../../sync/index.js';
import type { NotifySession } from '../../sync/index.js';
import { ExitCode, FerryError, UsageError, errorMessage } from '../../util/index.js';
import type { Command } from '../command.js';
import { jsonOption } from '../command.js';
import type { Output } from '../output/output.js';
import { withAnnex } from '../open.js';

export const command: Command = {
  name: 'notify',
  summary: 'see and send change notices by hand (for trying out a relay, broker or XMPP account)',
  usage: 'listen|send [--via SPEC ...] [--remote NAME] [--count N]',
  description: [
    'listen: prints each notice as it arrives, one line each, until interrupted (or --count notices).',
    'send: announces this repository\'s latest push ("peer P published seq N") through each notifier.',
    '',
    'The notifiers are the ferry:: remote\'s settings (git config remote.NAME.ferry-notify, one value each),',
    'plus poll unless one of them is poll=off; --via replaces them. SPEC is one of',
    '  relay=ws://HOST:PORT      a `ferry relay` server both machines reach (wss:// with TLS)',
    '  mqtt=mqtt://[USER@]HOST[:PORT]   an MQTT broker (mqtts:// with TLS)',
    '  xmpp=USER@HOST            an XMPP account every device logs in to',
    '  poll[=active=2s,idle=20s]  read the cloud\'s manifests (always on by default; poll=off turns it off)',
    'Passwords come from FERRY_MQTT_PASSWORD / FERRY_XMPP_PASSWORD or the file named by',
    'remote.NAME.ferry-mqtt-password-file / remote.NAME.ferry-xmpp-password-file, never from the command line.',
    'Notices are sealed with the remote\'s secret: a relay or broker can neither read nor forge them.',
    'See docs/notify.md.',
  ].join('\n'),
  options: [
    jsonOption,
    { name: 'via', kind: 'string', value: 'SPEC', help: 'use this notifier instead of the configured ones (repeat for several)' },
    { name: 'remote', kind: 'string', value: 'NAME', help: 'the ferry:: remote whose secret and peer to use (default: the only one)' },
    { name: 'count', kind: 'number', help: 'listen: stop after N notices' },
  ],
  async run({ positional, options, repeated }, { out, cwd }) {
    const [sub, ...extra] = positional;
    if ((sub !== 'listen' && sub !== 'send') || extra.length > 0) {
      throw new UsageError(sub === undefined ? 'Specify what to do: listen or send.' : `ferry notify: unexpected '${[sub, ...extra].join(' ')}'`, 'ferry notify listen|send [--via SPEC]');
    }
    const via = repeated?.get('via');
    const remote = options.get('remote') as string | undefined;
    return withAnnex(cwd, async (annex) => {
      const session = await openNotify(annex, { ...(remote !== undefined ? { remote } : {}), ...(via !== undefined ? { via } : {}) });
      try {
        if (session.notifiers.length === 0) {
          throw new FerryError(`${session.remote} has no notifiers`, { hint: `name one with --via, or set remote.${session.remote}.ferry-notify (see ferry notify --help)` });
        }
        return sub === 'send' ? await send(session, out) : await listen(session, out, options.get('count') as number | undefined);
      } finally {
        await session.close();
      }
    });
  },
};

async function send(session: NotifySession, out: Output): Promise<number> {
  const notice: ChangeNotice = { peer: session.peer, seq: await session.ownSeq(), time: Date.now() };
  let failed = 0;
  await Promise.all(session.notifiers.map(async ({ spec, notifier }) => {
    const via = spec.text;
    if (!notifier.capabilities.prompt) {
      out.line(`notify send ${via}: nothing to send (its peers read the cloud itself)`);
      return;
    }
    try {
      await notifier.start(() => undefined);
      await notifier.announce(notice);
      out.line(`notify send ${via} (peer ${short(notice.peer)} seq ${notice.seq}) ok`);
      out.record({ command: 'notify send', via, peer: notice.peer, seq: notice.seq, success: true, 'error-messages': [] });
    } catch (err) {
      failed++;
      out.warn(`ferry: notify send ${via}: ${errorMessage(err)}`);
      out.record({ command: 'notify send', via, peer: notice.peer, seq: notice.seq, success: false, 'error-messages': [errorMessage(err)] });
    }
  }));
  return failed > 0 ? ExitCode.failed : ExitCode.ok;
}

async function listen(session: NotifySession, out: Output, count: number | undefined): Promise<number> {
  let printed = 0;
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => { stop = resolve; });
  const onSignal = () => stop();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const print = (notice: ChangeNotice, notifier: Notifier) => {
      void session.seen().then((seen) => {
        const state = notice.peer === session.peer ? 'own' : notice.peer !== NO_PEER && (seen.get(notice.peer) ?? 0) >= notice.seq ? 'fetched' : 'new';
        const time = new Date(notice.time).toISOString();
        out.line(`${time}  peer ${short(notice.peer)} seq ${notice.seq}  via ${notifier.description}  (${state})`);
        out.record({ command: 'notify listen', peer: notice.peer, seq: notice.seq, time, via: notifier.description, state });
        if (count !== undefined && ++printed >= count) stop();
      });
    };
    const started = await Promise.allSettled(session.notifiers.map(({ notifier }) =>
      notifier.start((n) => print(n, notifier), { connection: (up) => out.warn(`ferry: ${notifier.description}: ${up ? 'connected again' : 'connection lost; reconnecting'}`) })));
    started.forEach((r, i) => {
      if (r.status === 'rejected') out.warn(`ferry: ${session.notifiers[i]!.spec.text}: ${errorMessage(r.reason)}`);
    });
    if (started.every((r) => r.status === 'rejected')) return ExitCode.failed;
    out.warn(`listening for notices of ${session.remote} as peer ${short(session.peer)} via ${session.notifiers.filter((_, i) => started[i]!.status === 'fulfilled').map((n) => n.spec.text).join(', ')}`);
    await stopped;
    return ExitCode.ok;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function short(peer: string): string {
  return peer === NO_PEER ? peer : peer.slice(0, 8);
}
