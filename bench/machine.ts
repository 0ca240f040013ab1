// What the figures were measured on: CPU, cores, RAM, kernel, tool versions and the file system under the
// temp directory (benchmarks write there). Printed before the results and recorded in bench/README.md.
import { mkdirSync } from 'node:fs';
import { readFile, realpath } from 'node:fs/promises';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { distBin, formatMs, run } from './lib.js';
import type { Workspace } from './lib.js';

export async function describeMachine(ws: Workspace): Promise<string[]> {
  const cpuinfo = await readFile('/proc/cpuinfo', 'utf8').catch(() => '');
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown';
  const flags = /^flags\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.split(' ') ?? [];
  const sha = flags.includes('sha_ni') ? ' (SHA extensions)' : '';
  const version = async (cmd: readonly [string, ...string[]]) => {
    const r = await run(cmd, { cwd: ws.root, env: ws.env, captureStdout: true, okCodes: [0, 1] }).catch(() => undefined);
    return r?.code === 0 ? r.stdout.trim().split('\n')[0] ?? '' : 'not installed';
  };
  return [
    `cpu:       ${model}${sha}, ${cpus().length} cores`,
    `ram:       ${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `kernel:    Linux ${release()}`,
    `node:      ${process.version}`,
    `git:       ${(await version(['git', '--version'])).replace(/^git version /, '')}`,
    `git-annex: ${await version(['git', 'annex', 'version', '--raw'])}`,
    `ferry:     ${(await version(['ferry', '--version'])).replace(/^ferry /, '')}${await checkout(ws)}`,
    `temp dir:  ${await fileSystemOf(ws.root)}`,
    await mkdirProbe(ws),
    await loadLine(),
  ];
}

/** " (checkout 1234abc, src/ modified)": which code dist/ was built from, as far as git can tell. */
async function checkout(ws: Workspace): Promise<string> {
  const opts = { cwd: join(distBin, '..', '..'), env: ws.env, captureStdout: true };
  const head = await run(['git', 'rev-parse', '--short', 'HEAD'], opts).catch(() => undefined);
  if (!head) return '';
  const dirty = await run(['git', 'status', '--porcelain', '--', 'src', 'bin'], opts).catch(() => undefined);
  return ` (checkout ${head.stdout.trim()}${dirty?.stdout.trim() ? ', with uncommitted changes in src/ or bin/' : ''})`;
}

/**
 * Time to create 10,000 directories laid out like annex key directories (XX/YY/KEY). Both annex tools make
 * one directory per key, so where this is slow (it varies a lot between file systems and with their
 * history) the small-file figures measure the file system more than the tool.
 */
export async function mkdirProbe(ws: Workspace): Promise<string> {
  const dir = await ws.dir('mkdir-probe');
  const start = process.hrtime.bigint();
  for (let i = 0; i < 10_000; i++) {
    mkdirSync(join(dir, (i % 32).toString(16), (Math.floor(i / 32) % 32).toString(16), `KEY${i}`), { recursive: true });
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  // Not removed until the end: a mass deletion slows the metadata writes of the runs that follow.
  return `mkdir:     10,000 key-style directories in ${formatMs(ms)} (${((ms * 1000) / 10_000).toFixed(0)} µs each)`;
}

/**
 * The load average, and how busy the CPUs are right now (a 1 s sample of /proc/stat while this process
 * sleeps), with a warning when other work will disturb the timings.
 */
export async function loadLine(): Promise<string> {
  const [one = 0, five = 0, fifteen = 0] = loadavg();
  const busy = await cpuBusy(1000);
  const note = busy === undefined ? '' : `; CPUs ${(busy * 100).toFixed(0)}% busy over the last second`;
  const warn = busy !== undefined && busy > 0.2 ? ' — WARNING: other work is running; figures will be noisy' : '';
  return `load:      ${one.toFixed(2)} ${five.toFixed(2)} ${fifteen.toFixed(2)} (1, 5, 15 min)${note}${warn}`;
}

/** Fraction of CPU time not idle across all CPUs during the next `ms`, or undefined without /proc/stat. */
async function cpuBusy(ms: number): Promise<number | undefined> {
  const read = async () => {
    const line = (await readFile('/proc/stat', 'utf8').catch(() => '')).split('\n')[0] ?? '';
    const f = line.split(/\s+/).slice(1).map(Number);
    const idle = (f[3] ?? 0) + (f[4] ?? 0); // idle + iowait
    return { idle, total: f.reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0) };
  };
  const a = await read();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const b = await read();
  const total = b.total - a.total;
  return total > 0 ? 1 - (b.idle - a.idle) / total : undefined;
}

/** "PATH on TYPE (DEVICE)" from the longest mount point in /proc/self/mounts that contains `dir`. */
async function fileSystemOf(dir: string): Promise<string> {
  const real = await realpath(dir);
  const mounts = await readFile('/proc/self/mounts', 'utf8').catch(() => '');
  let best: { point: string; type: string; device: string; options: string } | undefined;
  for (const line of mounts.split('\n')) {
    const [device, rawPoint, type, options = ''] = line.split(' ');
    if (device === undefined || rawPoint === undefined || type === undefined) continue;
    const point = rawPoint.replace(/\\040/g, ' ');
    const inside = point === '/' || real === point || real.startsWith(`${point}/`);
    if (inside && (best === undefined || point.length >= best.point.length)) best = { point, type, device, options };
  }
  const parent = real.replace(/\/[^/]+$/, '') || '/';
  return best ? `${parent} on ${best.type} (${best.device} at ${best.point}, ${best.options})` : `${parent} (file system unknown)`;
}
