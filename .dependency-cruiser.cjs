// ARCHITECTURE.md's layer table as rules: imports go down the list only, each layer is used through its
// index.ts (except relay -> notify/notice), npm packages stay in the layer that wraps them.
// An upward or sideways import fails `npm run check`.
const order = ['cli', 'assistant', 'sync', 'cloudgit', 'notify', 'relay', 'remotes', 'annex', 'git', 'crypto', 'util'];
// What each layer may import, from STYLE.md's layout.
const allowed = {
  cli: ['assistant', 'sync', 'cloudgit', 'notify', 'relay', 'remotes', 'annex', 'git', 'crypto', 'util'],
  assistant: ['sync', 'cloudgit', 'notify', 'remotes', 'annex', 'git', 'crypto', 'util'],
  sync: ['cloudgit', 'notify', 'remotes', 'annex', 'git', 'crypto', 'util'],
  cloudgit: ['remotes', 'git', 'crypto', 'util'],
  notify: ['crypto', 'util'],
  relay: ['notify', 'util'],
  remotes: ['annex', 'git', 'crypto', 'util'],
  annex: ['git', 'crypto', 'util'],
  git: ['util'],
  crypto: ['util'],
  util: [],
};

const forbidden = [];
for (const layer of order) {
  const others = order.filter((l) => l !== layer && !allowed[layer].includes(l));
  if (others.length === 0) continue;
  forbidden.push({
    name: `layer-${layer}`,
    comment: `src/${layer}/ may import only ${allowed[layer].join(', ') || 'nothing in src/'} (ARCHITECTURE.md "Layers")`,
    severity: 'error',
    from: { path: `^src/${layer}/` },
    to: { path: `^src/(${others.join('|')})/` },
  });
}
forbidden.push(
  {
    name: 'layer-public-face',
    comment: 'use another layer through its index.ts (STYLE 8); relay may use notify/notice.ts',
    severity: 'error',
    from: { path: '^src/([^/]+)/' },
    to: {
      path: '^src/([^/]+)/.+',
      pathNot: ['^src/$1/', '^src/[^/]+/index\\.ts$', '^src/notify/notice\\.ts$'],
    },
  },
  {
    name: 'bin-entry-only',
    comment: 'bin/ hands argv to cli/main (ferry) or sync/ (git-remote-ferry) and does nothing else',
    severity: 'error',
    from: { path: '^bin/' },
    to: { path: '^src/', pathNot: ['^src/cli/main\\.ts$', '^src/sync/index\\.ts$'] },
  },
  {
    name: 'no-circular',
    severity: 'error',
    from: {},
    to: { circular: true },
  },
  {
    name: 'not-to-unresolvable',
    severity: 'error',
    from: {},
    to: { couldNotResolve: true },
  },
);

module.exports = {
  forbidden,
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
