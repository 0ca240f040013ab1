import { spawn } from 'node:child_process';
import { StatusClient } from '../../assistant/index.js';
import type { StatusResponse } from '../../assistant/index.js';
import { AnnexRepo } from '../../annex/index.js';
import { ExitCode, formatSize } from '../../util/index.js';
import type { Command } from '../command.js';
import type { Output } from '../output/output.js';

export const command: Command = {
  name: 'status',
  summary: "show what this repository's assistant is doing: peers, transfers, change notices, cloud",
  usage: '[--json] [--open]',
  description: [
    "Asks the running assistant (ferry assistant) through its status server, the same API its live page uses;",
    'exits 1 with a message when no assistant runs for this repository. --open prints a URL that logs a',
    'browser in to the live page once (and opens it, in a terminal, with $BROWSER or xdg-open); the URL',
    'works once, so it is safe to leave in scrollback.',
    '',
    "This is not git-annex's deprecated `status` (which listed changed files in the work tree): use",
    '`git status` for that.',
  ].join('\n'),
  options: [
    { name: 'json', kind: 'boolean', help: "one JSON object: the assistant's /api/status answer" },
    { name: 'open', kind: 'boolean', help: 'print (and in a terminal open) a one-time login URL for the live page' },
  ],
  async run({ options }, { out, cwd }) {
    const repo = await AnnexRepo.open(cwd);
    const client = await StatusClient.connect(repo.gitDir);
    const status = await client.status();
    const loginUrl = options.get('open') === true ? await client.loginUrl() : undefined;
    if (out.json) out.record({ ...status, ...(loginUrl === undefined ? {} : { 'login-url': loginUrl }) });
    else summary(status, client.info.port, out);
    if (loginUrl !== undefined) {
      out.line(`open the live page (this URL works once): ${loginUrl}`);
      if (process.stdout.isTTY === true) openBrowser(loginUrl);
    }
    return ExitCode.ok;
  },
};

function summary(s: StatusResponse, port: number, out: Output): void {
  const ago = (t: number | undefined) => (t === undefined ? 'never' : `${duration(s.now - t)} ago`);
  out.line(`assistant: pid ${s.assistant.pid}, up ${duration(s.now - s.assistant.startedAt)}, page http://127.0.0.1:${port}/ (log in with 'ferry status --open')`);
  const r = s.repository;
  out.line(`repository: ${r.description || r.uuid} [${r.path}]${r.seq === undefined ? '' : `, last published seq ${r.seq}`}`);
  out.line(s.peers.length === 0 ? 'peers: none yet' : 'peers:');
  for (const p of s.peers) {
    const lacks = p.lacks.files === 0 ? 'lacks nothing' : `lacks ${p.lacks.files} file${p.lacks.files === 1 ? '' : 's'} (${formatSize(p.lacks.bytes)})${p.lacks.examples.length > 0 ? `: ${p.lacks.examples.join(', ')}` : ''}`;
    out.line(`  ${p.description || p.uuid}${p.remote ? ` via ${p.remote}` : ''}: seq ${p.seq ?? '–'}, seen ${ago(p.lastSeen)}; ${lacks}`);
    if (p.silent) out.line(`    silent past the retirement period; if it is gone for good: ferry dead ${p.uuid}`);
  }
  const active = s.transfers.filter((t) => t.state === 'active').length;
  out.line(`transfers: ${active} active, ${s.transfers.length - active} waiting`);
  for (const t of s.transfers) {
    const progress = t.size ? `${Math.floor((100 * t.bytes) / t.size)}% of ${formatSize(t.size)}` : formatSize(t.bytes);
    const note = t.error ? ` (attempt ${t.attempt}: ${t.error})` : '';
    out.line(`  ${t.direction === 'upload' ? 'upload to' : 'download from'} ${t.remote}: ${t.path ?? t.key} ${progress} ${t.state}${note}`);
  }
  out.line(s.notifiers.length === 0 ? 'change notices: no cloud remote' : 'change notices:');
  for (const n of s.notifiers) out.line(`  ${n.remote}: ${n.notifier} ${n.state}${n.detail ? ` (${n.detail})` : ''}${n.since === undefined ? '' : `, since ${ago(n.since)}`}`);
  for (const c of s.cloud) {
    const stored = c.storedBytes === undefined ? '?' : formatSize(c.storedBytes);
    const cost = c.estimatedCostPerMonth;
    out.line(`cloud store ${c.remote} (${c.type}): ${c.objects === undefined ? stored : `holds ${c.objects} of the work tree's files (${stored})`}` +
      `${c.requestsPerMonth === undefined ? '' : `; about ${c.requestsPerMonth} requests a month`}` +
      `${cost ? `, estimated ${cost.amount.toFixed(2)} ${cost.currency} a month (${cost.basis})` : ''}`);
  }
  if (s.unused) out.line(`old versions (unused content): ${s.unused.keys} keys, ${formatSize(s.unused.bytes)}`);
}

function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86_400)} d`;
}

/** Best effort: a missing opener is fine, the URL is printed anyway. */
function openBrowser(url: string): void {
  const opener = process.env.BROWSER || (process.platform === 'darwin' ? 'open' : 'xdg-open');
  try {
    const child = spawn(opener, [url], { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // no opener here
  }
}
