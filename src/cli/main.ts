// Parses argv, loads the one command module asked for (so `ferry --version` loads almost nothing), runs
// it, and maps errors to a message, a hint and an exit status. The only place that prints errors and exits.
import { ExitCode, FerryError, UsageError, errorMessage, setLogSink } from '../util/index.js';
import { optionHelp, parseArgs } from './args.js';
import type { Command } from './command.js';
import { Output } from './output/output.js';
import { version } from './version.js';

type Loader = () => Promise<{ command: Command }>;

/** Every command, in the order `ferry help` lists them. */
const COMMANDS: Readonly<Record<string, Loader>> = {
  init: () => import('./commands/init.js'),
  add: () => import('./commands/add.js'),
  unlock: () => import('./commands/unlock.js'),
  lock: () => import('./commands/lock.js'),
  whereis: () => import('./commands/whereis.js'),
  find: () => import('./commands/find.js'),
  info: () => import('./commands/info.js'),
  fsck: () => import('./commands/fsck.js'),
  fix: () => import('./commands/fix.js'),
  get: () => import('./commands/get.js'),
  copy: () => import('./commands/copy.js'),
  move: () => import('./commands/move.js'),
  drop: () => import('./commands/drop.js'),
  sync: () => import('./commands/sync.js'),
  unused: () => import('./commands/unused.js'),
  dropunused: () => import('./commands/dropunused.js'),
  wanted: () => import('./commands/wanted.js'),
  required: () => import('./commands/required.js'),
  group: () => import('./commands/group.js'),
  ungroup: () => import('./commands/ungroup.js'),
  groupwanted: () => import('./commands/groupwanted.js'),
  numcopies: () => import('./commands/numcopies.js'),
  mincopies: () => import('./commands/mincopies.js'),
  trust: () => import('./commands/trust.js'),
  semitrust: () => import('./commands/semitrust.js'),
  untrust: () => import('./commands/untrust.js'),
  dead: () => import('./commands/dead.js'),
  describe: () => import('./commands/describe.js'),
  initremote: () => import('./commands/initremote.js'),
  enableremote: () => import('./commands/enableremote.js'),
  renameremote: () => import('./commands/renameremote.js'),
  remotes: () => import('./commands/remotes.js'),
  cloud: () => import('./commands/cloud.js'),
  join: () => import('./commands/join.js'),
  rejoin: () => import('./commands/rejoin.js'),
  assistant: () => import('./commands/assistant.js'),
  demo: () => import('./commands/demo.js'),
  status: () => import('./commands/status.js'),
  relay: () => import('./commands/relay.js'),
  notify: () => import('./commands/notify.js'),
  calckey: () => import('./commands/calckey.js'),
  examinekey: () => import('./commands/examinekey.js'),
  'filter-process': () => import('./commands/filter-process.js'),
  smudge: () => import('./commands/smudge.js'),
  'pre-commit': () => import('./commands/pre-commit.js'),
  hook: () => import('./commands/hook.js'),
  version: () => import('./commands/version.js'),
};

/** Plumbing run by git, not typed by people: left out of `ferry help`. */
const HIDDEN = new Set(['filter-process', 'smudge', 'pre-commit', 'hook']);

export async function main(argv: string[]): Promise<void> {
  const json = argv.includes('--json');
  const out = new Output(json);
  setLogSink((level, message) => {
    if (level === 'warn') out.warn(`ferry: ${message}`);
    else if (process.env.FERRY_DEBUG) out.warn(`ferry[debug]: ${message}`);
  });
  let status: number = ExitCode.ok;
  try {
    status = await dispatch(argv, out);
  } catch (err) {
    status = report(err, out);
  }
  // Exit now: idle batch processes and timers must not keep a finished command alive.
  process.exit(status);
}

async function dispatch(argv: string[], out: Output): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    if (rest[0] !== undefined) return showHelp(rest[0], out);
    out.write(await overview());
    return name === undefined ? ExitCode.usage : ExitCode.ok;
  }
  if (name === '--version') {
    out.write(`ferry ${version()}\n`);
    return ExitCode.ok;
  }
  const loader = COMMANDS[name];
  if (!loader) throw new UsageError(`unknown command '${name}'`, "run 'ferry help' to list the commands");
  const { command } = await loader();
  if (rest.includes('--help') || rest.includes('-h')) return showHelp(name, out);
  const args = parseArgs(rest, command.options, name);
  return (await command.run(args, { out, cwd: process.cwd() })) ?? ExitCode.ok;
}

async function showHelp(name: string, out: Output): Promise<number> {
  const loader = COMMANDS[name];
  if (!loader) throw new UsageError(`unknown command '${name}'`, "run 'ferry help' to list the commands");
  const { command } = await loader();
  const lines = [`usage: ferry ${command.name}${command.usage ? ` ${command.usage}` : ''}`, '', command.summary];
  if (command.description) lines.push('', command.description);
  if (command.options.length > 0) lines.push('', 'options:', optionHelp(command.options));
  out.write(`${lines.join('\n')}\n`);
  return ExitCode.ok;
}

async function overview(): Promise<string> {
  const rows: [string, string][] = [];
  for (const [name, loader] of Object.entries(COMMANDS)) {
    if (HIDDEN.has(name)) continue;
    rows.push([name, (await loader()).command.summary]);
  }
  const width = Math.max(...rows.map(([n]) => n.length));
  return [
    'usage: ferry COMMAND [OPTIONS] [ARGS]',
    '',
    'ferry keeps git-annex repositories in sync between machines, with the cloud as the bridge.',
    '',
    'commands:',
    ...rows.map(([n, s]) => `  ${n.padEnd(width)}  ${s}`),
    '',
    "run 'ferry help COMMAND' for a command's options",
  ].join('\n') + '\n';
}

function report(err: unknown, out: Output): number {
  if (err instanceof FerryError) {
    out.warn(`ferry: ${err.message}`);
    if (err.hint) out.warn(`hint: ${err.hint}`);
    if (process.env.FERRY_DEBUG && err.stack) out.warn(err.stack);
    return err.exitCode;
  }
  out.warn(`ferry: internal error: ${errorMessage(err)}`);
  if (err instanceof Error && err.stack) out.warn(err.stack);
  out.warn('hint: this is a bug in ferry; please report it with the command you ran');
  return ExitCode.internal;
}
