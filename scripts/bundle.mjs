// After tsc: bundle the two commands, `ferry` and `git-remote-ferry`, into dist/app/. Node spends more time
// finding, reading and linking ~180 small ES modules than running a short command (git starts the helper
// once per push or fetch, and every commit starts `ferry hook pre-commit`): a bundle starts in about half
// the time (docs/NOTES.md "Start-up"). Lazy imports (the command table, the S3 SDK) stay lazy as chunks,
// npm packages stay external, and dist/src/ is left as tsc wrote it for tests, benchmarks and workers.
import { rm, readFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const out = join(dist, 'app');

// Modules find files beside them (workers, the native addon, dist/hooks) through import.meta.url; in a
// bundle that would be the bundle's own URL. Each module keeps its own: its path from dist/app/, where
// every entry and chunk lands (chunks sit flat beside the entries, so one relative path serves all).
const ownUrl = {
  name: 'own-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.js$/ }, async (args) => {
      const contents = await readFile(args.path, 'utf8');
      if (!contents.includes('import.meta.url')) return undefined;
      const path = relative(out, args.path).split('\\').join('/');
      return {
        contents: contents.replaceAll('import.meta.url', `new URL(${JSON.stringify(path)}, import.meta.url).href`),
        loader: 'js',
      };
    });
  },
};

await rm(out, { recursive: true, force: true });
await build({
  entryPoints: [join(dist, 'bin', 'ferry.js'), join(dist, 'bin', 'git-remote-ferry.js')],
  outdir: out,
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunk-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  // Error classes report their own name as the error code (util/errors.ts); renaming would change it.
  keepNames: true,
  logLevel: 'warning',
  plugins: [ownUrl],
});
