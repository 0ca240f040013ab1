// After tsc and scripts/bundle.mjs: make the bundled entry points runnable from dist/bin by their command
// names, so tests can put dist/bin first on PATH and run exactly what was just built (git finds
// `git-remote-ferry` the same way).
// Also writes dist/hooks/, the hooks directory ferry hands git on its own command lines (docs/NOTES.md), and
// dist/hooks-lean/.
import { chmodSync, existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'dist', 'bin');
const app = join(root, 'dist', 'app');
for (const name of ['ferry', 'git-remote-ferry']) {
  chmodSync(join(app, `${name}.mjs`), 0o755);
  const link = join(bin, name);
  if (existsSync(link)) rmSync(link);
  symlinkSync(join('..', 'app', `${name}.mjs`), link);
}

// Every hook name git runs. ferry's git commands set core.hooksPath to this directory. The hooks where
// ferry has a part (pre-commit, post-checkout, post-merge) hand over to `ferry hook NAME`, which does it
// and then runs the user's own hook; every other hook is a few lines of sh that run the user's hook, if
// any, directly, so that reference-transaction or post-index-change (run on every ref or index update)
// cost no Node start. Hooks git-annex or ferry installed are skipped either way: they would start a tool.
const hookNames = [
  'applypatch-msg', 'pre-applypatch', 'post-applypatch', 'pre-commit', 'pre-merge-commit', 'prepare-commit-msg',
  'commit-msg', 'post-commit', 'pre-rebase', 'post-checkout', 'post-merge', 'pre-push', 'pre-receive', 'update',
  'proc-receive', 'post-receive', 'post-update', 'reference-transaction', 'push-to-checkout', 'pre-auto-gc',
  'post-rewrite', 'sendemail-validate', 'fsmonitor-watchman', 'p4-changelist', 'p4-prepare-changelist',
  'p4-post-changelist', 'p4-pre-submit', 'post-index-change',
];
const ferryParts = new Set(['pre-commit', 'post-checkout', 'post-merge']);
const hooks = join(root, 'dist', 'hooks');
rmSync(hooks, { recursive: true, force: true });
mkdirSync(hooks, { recursive: true });
const ferryJs = join(app, 'ferry.mjs');
const userHook = (name) => [
  `h="\${FERRY_USER_HOOKS:-}/${name}"`,
  '[ -n "${FERRY_USER_HOOKS:-}" ] && [ -f "$h" ] && [ -x "$h" ] || exit 0',
  "grep -q -e '# automatically configured by git-annex' -e '# automatically configured by ferry' \"$h\" && exit 0",
  'exec "$h" "$@"',
];
for (const name of hookNames) {
  const file = join(hooks, name);
  // A ferry process that does ferry's part itself, in-process (a sync's merge fills unlocked files after it),
  // names the hook in FERRY_IN_PROCESS_HOOKS: then only the user's hook runs, and no Node starts for it.
  const body = ferryParts.has(name)
    ? [
      `case " \${FERRY_IN_PROCESS_HOOKS:-} " in *" ${name} "*)`,
      ...userHook(name).map((l) => `  ${l}`),
      'esac',
      `exec "\${FERRY_NODE:-${process.execPath}}" ${JSON.stringify(ferryJs)} hook ${name} "$@"`,
      '',
    ].join('\n')
    : [...userHook(name), ''].join('\n');
  writeFileSync(file, `#!/bin/sh\n${body}`);
  chmodSync(file, 0o755);
}

// dist/hooks-lean/: the same without the hooks git runs on every ref or index update. ferry hands git this
// directory when the user has neither of those hooks, so its branch commits spawn no shell that would only
// find nothing to run (a copy's two commits ran ten of them).
const everyUpdate = new Set(['reference-transaction', 'post-index-change']);
const lean = join(root, 'dist', 'hooks-lean');
rmSync(lean, { recursive: true, force: true });
mkdirSync(lean, { recursive: true });
for (const name of hookNames.filter((n) => !everyUpdate.has(n))) {
  symlinkSync(join('..', 'hooks', name), join(lean, name));
}
