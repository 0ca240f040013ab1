// The environment every test process gets: this checkout's dist/bin first on PATH (never a globally
// installed ferry), a fixed git identity, and a private HOME so no user or system git config leaks in.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/bin of this build (the compiled helpers live in dist/test/helpers). */
export const distBin = fileURLToPath(new URL('../../bin', import.meta.url));

let home: string | undefined;

/** A HOME shared by the tests of one process, with a .gitconfig that only sets what tests need. */
function testHome(): string {
  if (home) return home;
  home = mkdtempSync(join(tmpdir(), 'ferry-test-home-'));
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, '.gitconfig'), [
    '[user]', '\tname = Ferry Test', '\temail = test@ferry.invalid',
    '[init]', '\tdefaultBranch = main',
    '[advice]', '\tdetachedHead = false',
    '[annex "security"]', '\tallowed-ip-addresses = 127.0.0.1',
    '',
  ].join('\n'));
  return home;
}

export function testEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('GIT_') || k.startsWith('FERRY_')) delete env[k];
  return {
    ...env,
    PATH: `${distBin}${delimiter}${process.env.PATH ?? ''}`,
    HOME: testHome(),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'Ferry Test',
    GIT_AUTHOR_EMAIL: 'test@ferry.invalid',
    GIT_COMMITTER_NAME: 'Ferry Test',
    GIT_COMMITTER_EMAIL: 'test@ferry.invalid',
    LC_ALL: 'C.UTF-8',
    ...extra,
  };
}

/** For tests that call ferry's library in-process: give this process the test environment. */
export function useTestEnv(): void {
  const env = testEnv();
  for (const k of Object.keys(process.env)) if (!(k in env)) delete process.env[k];
  Object.assign(process.env, env);
}
