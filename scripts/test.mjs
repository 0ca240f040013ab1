// Runs the compiled tests (dist/test/**/*.test.js) with Node's test runner, several files at once (they
// mostly wait on git and git-annex), printing the spec report and a final "N passed, N failed" line so
// that a run which executed no test is visible. Arguments narrow the run to files whose path contains one.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const testDir = join(root, 'dist', 'test');
const filters = process.argv.slice(2);
const files = readdirSync(testDir, { recursive: true })
  .map(String)
  .filter((f) => f.endsWith('.test.js'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort()
  .map((f) => join(testDir, f));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const concurrency = process.env.FERRY_TEST_CONCURRENCY ?? String(Math.max(2, availableParallelism() * 2));
const result = spawnSync(process.execPath, [
  '--test', `--test-concurrency=${concurrency}`,
  '--test-reporter=spec', '--test-reporter-destination=stdout',
  `--test-reporter=${join(root, 'scripts', 'summary-reporter.mjs')}`, '--test-reporter-destination=stdout',
  ...files,
], { stdio: 'inherit', cwd: root });
process.exit(result.status ?? 1);
