// gpg as a test oracle, in a private GNUPGHOME whose agent is stopped when the test ends.
import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AfterHook } from '../helpers/tmp.js';
import { removeTree } from '../helpers/tmp.js';
import { run } from '../helpers/run.js';
import type { RunResult } from '../helpers/run.js';

export interface Gpg {
  readonly home: string;
  /** Runs gpg with the passphrase on stdin (--passphrase-fd 0), as git-annex feeds it: passphrase + LF. */
  run(args: readonly string[], passphrase: Buffer | string, expect?: readonly number[]): Promise<RunResult>;
  /** gpg --symmetric --force-mdc of `data` with extra options, as git-annex calls it (annex-format.md §6.3). */
  encrypt(data: Buffer, passphrase: Buffer | string, options?: readonly string[]): Promise<Buffer>;
  /** gpg --decrypt of `message`. */
  decrypt(message: Buffer, passphrase: Buffer | string): Promise<Buffer>;
}

export async function gpgOracle(t: AfterHook): Promise<Gpg> {
  const home = await mkdtemp(join(tmpdir(), 'ferry-gpg-'));
  await chmod(home, 0o700);
  t.after(async () => {
    await run(tmpdir(), 'gpgconf', ['--homedir', home, '--kill', 'gpg-agent'], { expect: [] });
    await removeTree(home);
  });
  let n = 0;
  const gpg: Gpg = {
    home,
    run: (args, passphrase, expect) => run(home, 'gpg', ['--homedir', home, '--batch', '--quiet', '--passphrase-fd', '0', ...args], {
      input: Buffer.concat([Buffer.from(passphrase), Buffer.from('\n')]), expect,
    }),
    async encrypt(data, passphrase, options = []) {
      const i = n++;
      await writeFile(join(home, `plain${i}`), data);
      await gpg.run(['--trust-model', 'always', '--symmetric', '--force-mdc', '--no-textmode', ...options,
        '--output', join(home, `cipher${i}`), join(home, `plain${i}`)], passphrase);
      return readFile(join(home, `cipher${i}`));
    },
    async decrypt(message, passphrase) {
      const i = n++;
      await writeFile(join(home, `message${i}`), message);
      await gpg.run(['--trust-model', 'always', '--output', join(home, `decrypted${i}`), '--decrypt', join(home, `message${i}`)], passphrase);
      return readFile(join(home, `decrypted${i}`));
    },
  };
  return gpg;
}
