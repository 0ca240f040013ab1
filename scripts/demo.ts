// `npm start`: shows ferry working on a fresh machine, in a temp directory it removes afterwards.
// Every command is printed before it runs, so the output reads as a short tutorial.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const distBin = fileURLToPath(new URL('../bin', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ferry-demo-'));
const env: NodeJS.ProcessEnv = {
  ...process.env,
  PATH: `${distBin}${delimiter}${process.env.PATH ?? ''}`,
  GIT_AUTHOR_NAME: process.env.GIT_AUTHOR_NAME ?? 'ferry demo',
  GIT_AUTHOR_EMAIL: process.env.GIT_AUTHOR_EMAIL ?? 'demo@ferry.invalid',
  GIT_COMMITTER_NAME: process.env.GIT_COMMITTER_NAME ?? 'ferry demo',
  GIT_COMMITTER_EMAIL: process.env.GIT_COMMITTER_EMAIL ?? 'demo@ferry.invalid',
};

function say(text: string): void {
  process.stdout.write(`\n# ${text}\n`);
}

/** Runs a command, showing it first; `expect` is the exit status it must end with (1 for a refusal shown on purpose). */
function sh(command: string, args: string[], cwd = dir, expect = 0): void {
  process.stdout.write(`$ ${[command, ...args].map((a) => (/\s/.test(a) ? `'${a}'` : a)).join(' ')}\n`);
  const r = spawnSync(command, args, { cwd, env, stdio: 'inherit' });
  if (r.status !== expect) throw new Error(`${command} ${args.join(' ')} exited ${r.status ?? r.signal}, not ${expect}`);
}

function has(program: string): boolean {
  return spawnSync(program, ['version'], { env, stdio: 'ignore' }).status === 0;
}

try {
  const repo = join(dir, 'photos');
  mkdirSync(repo);
  say(`A new repository in ${repo}`);
  sh('git', ['init', '-q', '-b', 'main'], repo);
  sh('ferry', ['init', 'laptop'], repo);

  say('Some files: two large ones for the annex, a small note');
  mkdirSync(join(repo, '2026'), { recursive: true });
  writeFileSync(join(repo, '2026', 'beach.jpg'), Buffer.alloc(3 * 1024 * 1024, 7));
  writeFileSync(join(repo, '2026', 'hike.mov'), Buffer.alloc(5 * 1024 * 1024, 9));
  writeFileSync(join(repo, 'notes.txt'), 'packing list\n');

  say('Add them: locked files become read-only symlinks into .git/annex/objects; --unlocked keeps a plain file');
  sh('ferry', ['add', '2026'], repo);
  sh('ferry', ['add', '--unlocked', 'notes.txt'], repo);
  sh('git', ['commit', '-q', '-m', 'first photos'], repo);
  sh('ls', ['-l', '2026', 'notes.txt'], repo);

  say('Where is the content? Here, in this repository, recorded in the git-annex branch');
  sh('ferry', ['whereis'], repo);
  sh('ferry', ['info'], repo);

  say('Every object checks out against its key');
  sh('ferry', ['fsck'], repo);

  if (has('git-annex')) {
    say('git-annex itself reads the same repository');
    sh('git', ['annex', 'fsck', '--fast'], repo);
    sh('git', ['annex', 'whereis', '2026/beach.jpg'], repo);
  } else {
    say('(git-annex is not installed; with it, `git annex fsck` accepts this repository too)');
  }

  const desktop = join(dir, 'desktop');
  say(`A second machine's repository: a clone in ${desktop}. It knows every file, and has no content yet`);
  sh('git', ['clone', '-q', repo, desktop]);
  sh('ferry', ['init', 'desktop'], desktop);
  sh('ferry', ['get', '2026/beach.jpg'], desktop);
  sh('ferry', ['whereis', '2026/beach.jpg'], desktop);

  say('The laptop learns of the desktop (a remote) and of its copy (sync fetches its git-annex branch)');
  sh('git', ['remote', 'add', 'desktop', desktop], repo);
  sh('ferry', ['sync'], repo);

  say('Dropping is safe: the laptop may drop beach.jpg (the desktop\'s copy is proven, locked while it drops)');
  sh('ferry', ['drop', '2026/beach.jpg'], repo);
  say('...but not hike.mov, whose only copy is here');
  sh('ferry', ['drop', '2026/hike.mov'], repo, 1);

  say('An edit on the desktop travels back with sync (commit, pull, merge, push; --content also moves content)');
  writeFileSync(join(desktop, 'notes.txt'), 'packing list\nsunscreen\n');
  sh('ferry', ['sync', '--content', '-m', 'notes from the desktop'], desktop);
  sh('ferry', ['sync'], repo);
  sh('cat', ['notes.txt'], repo);

  const usb = join(dir, 'usb-stick');
  mkdirSync(usb);
  say(`A special remote: an encrypted directory at ${usb} (a USB stick, a synced folder; S3 works the same way)`);
  sh('ferry', ['initremote', 'usb', 'type=directory', `directory=${usb}`, 'encryption=shared', 'chunk=1MiB'], repo);
  sh('ferry', ['copy', '--to', 'usb', '2026/hike.mov'], repo);
  say('What the stick holds: chunks named by HMAC, their bytes encrypted; no file name, no content readable');
  sh('find', ['.', '-type', 'f', '-path', '*GPGHMACSHA1*'], usb);
  say('Now hike.mov may go from the laptop (the stick and the desktop have it), and comes back from the stick, decrypted and verified');
  sh('ferry', ['drop', '2026/hike.mov'], repo);
  sh('ferry', ['get', '--from', 'usb', '2026/hike.mov'], repo);
  sh('ferry', ['info', 'usb'], repo);
  if (has('git-annex')) {
    say('git-annex reads the same stick: its fsck fetches each chunk, decrypts it and checks it');
    sh('git', ['annex', 'fsck', '--from', 'usb', '2026/hike.mov'], repo);
  }

  say('Done. Next: `ferry help`, and the README for the command reference.');
} finally {
  spawnSync('chmod', ['-R', 'u+w', dir]);
  rmSync(dir, { recursive: true, force: true });
}
