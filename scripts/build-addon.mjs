// Builds the native lock addon (native/) at install time. node-gyp would download Node's headers from the
// internet by default; these machines cannot reach it, so point it at the headers of the Node that runs us
// (the prefix of process.execPath, e.g. /usr, whose include/node has them). A failed build is not fatal:
// ferry then works without git-annex's locks and refuses to write to repositories git-annex has used.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const prefix = dirname(dirname(process.execPath));
const args = ['rebuild'];
if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);

const candidates = [
  process.env.npm_config_node_gyp,
  join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
].filter((p) => p && existsSync(p));
const result = candidates.length > 0
  ? spawnSync(process.execPath, [candidates[0], ...args], { cwd: root, stdio: 'inherit' })
  : spawnSync('node-gyp', args, { cwd: root, stdio: 'inherit' });
if (result.status !== 0) {
  console.warn('ferry: the native lock addon did not build (see above). ferry will run without git-annex\'s');
  console.warn('locks and will refuse to write to repositories that git-annex has used. Install a C compiler,');
  console.warn('make and python3 (Debian: build-essential python3), then run `npm rebuild ferry`.');
}
