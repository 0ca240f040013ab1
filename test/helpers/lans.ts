// Two LANs and a cloud for end-to-end tests (STYLE 13): when the test runs as root, three network namespaces
// of its own — the cloud's, A's and B's — joined by two veth links, so that A and B reach the cloud's one
// address (CLOUD_ADDRESS) and nothing else: the cloud's namespace does not forward, A and B share no link.
// Elsewhere everything runs on loopback, in separate processes. Processes go into a side by the command
// prefix `wrap(side)` (`ip netns exec NS`, or nothing).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import type { AfterHook } from './tmp.js';

const exec = promisify(execFile);

export type Side = 'cloud' | 'a' | 'b';

export interface Lans {
  /** Whether the sides are separate network namespaces (false: all on loopback). */
  readonly isolated: boolean;
  /** The address the cloud's servers listen on and A and B reach them at. */
  readonly cloudAddress: string;
  /** The command prefix that runs a program in `side`. */
  wrap(side: Side): string[];
  /**
   * Slows what `side` sends towards the cloud to `rate` (tc's token bucket, e.g. '16mbit'): a real slow
   * uplink, for tests whose order of events depends on an upload taking its time. Isolated LANs only.
   */
  limitUplink(side: Exclude<Side, 'cloud'>, rate: string): Promise<void>;
}

const CLOUD_ADDRESS = '10.231.0.1';

/** The sides for the test `t`, removed when it ends. */
export async function makeLans(t: AfterHook): Promise<Lans> {
  const tag = randomBytes(3).toString('hex');
  const ns: Record<Side, string> = { cloud: `ferry-${tag}-c`, a: `ferry-${tag}-a`, b: `ferry-${tag}-b` };
  if (process.getuid?.() !== 0 || !(await tryCommand(['ip', 'netns', 'add', ns.cloud]))) {
    return {
      isolated: false, cloudAddress: '127.0.0.1', wrap: () => [],
      limitUplink: () => Promise.reject(new Error('an uplink can be slowed only between network namespaces (run as root)')),
    };
  }
  t.after(async () => {
    for (const name of Object.values(ns)) await tryCommand(['ip', 'netns', 'del', name]);
  });
  await ip(['netns', 'add', ns.a]);
  await ip(['netns', 'add', ns.b]);
  for (const name of Object.values(ns)) await ip(['-n', name, 'link', 'set', 'lo', 'up']);
  await ip(['-n', ns.cloud, 'address', 'add', `${CLOUD_ADDRESS}/32`, 'dev', 'lo']);
  const links: [Exclude<Side, 'cloud'>, string][] = [['a', '10.231.1'], ['b', '10.231.2']];
  for (const [side, net] of links) {
    const outer = `fc${tag}${side}`;
    const inner = `fl${tag}${side}`;
    await ip(['link', 'add', outer, 'netns', ns.cloud, 'type', 'veth', 'peer', 'name', inner, 'netns', ns[side]]);
    await ip(['-n', ns.cloud, 'address', 'add', `${net}.1/30`, 'dev', outer]);
    await ip(['-n', ns[side], 'address', 'add', `${net}.2/30`, 'dev', inner]);
    await ip(['-n', ns.cloud, 'link', 'set', outer, 'up']);
    await ip(['-n', ns[side], 'link', 'set', inner, 'up']);
    await ip(['-n', ns[side], 'route', 'add', `${CLOUD_ADDRESS}/32`, 'via', `${net}.1`]);
  }
  return {
    isolated: true, cloudAddress: CLOUD_ADDRESS, wrap: (side) => ['ip', 'netns', 'exec', ns[side]],
    limitUplink: async (side, rate) => {
      await exec('tc', ['-n', ns[side], 'qdisc', 'add', 'dev', `fl${tag}${side}`, 'root', 'tbf', 'rate', rate, 'burst', '32kb', 'latency', '400ms']);
    },
  };
}

async function ip(args: readonly string[]): Promise<void> {
  await exec('ip', [...args]);
}

async function tryCommand(argv: readonly string[]): Promise<boolean> {
  try {
    await exec(argv[0]!, argv.slice(1));
    return true;
  } catch {
    return false;
  }
}
