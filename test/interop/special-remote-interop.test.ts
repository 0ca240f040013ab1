// Special remotes written by one tool and read by the other, for directory and S3 (s3rver), encryption none
// and shared, whole and chunk=1MiB: the writer makes the remote and copies an empty file, a file of exactly
// one chunk, a 3 MB file (three chunks, the last short) and a small text file to it; the reader, in a clone
// that may not take content from the writer's repository, enables the remote, gets everything from it,
// and checks it with `fsck --from` (fetching and verifying every object) besides comparing the bytes. Then the
// reader drops one file from the remote, and the writer's tool agrees: whereis, and its own fsck --from.
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { bytes, makeRepo } from '../helpers/repo.js';
import { ferry, git, gitAnnex } from '../helpers/run.js';
import type { RunResult } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';
import type { AfterHook } from '../helpers/tmp.js';
import { startS3rver } from '../servers/s3rver.js';

type Tool = 'ferry' | 'git-annex';
const MiB = 1 << 20;
const FILES: Record<string, Buffer> = {
  'empty.bin': Buffer.alloc(0),
  'one-chunk.bin': bytes(11, MiB),
  'three-chunks.bin': bytes(12, 3_000_000),
  'hello.txt': Buffer.from('hello world\n'),
};

function annex(tool: Tool, dir: string, args: readonly string[], env: Record<string, string>, expect: number[] = [0]): Promise<RunResult> {
  return tool === 'ferry' ? ferry(dir, args, { env, expect }) : gitAnnex(dir, args, { env, expect });
}

interface Target {
  /** initremote's parameters for the type, and what enableremote needs in another clone. */
  readonly init: string[];
  readonly enable: string[];
  readonly env: Record<string, string>;
}

async function directoryTarget(t: AfterHook): Promise<Target> {
  const dir = join(await tempDir(t), 'store');
  await mkdir(dir);
  return { init: ['type=directory', `directory=${dir}`], enable: [`directory=${dir}`], env: {} };
}

let bucketSeq = 0;
async function s3Target(t: AfterHook): Promise<Target> {
  const server = await startS3rver(t);
  const env = { AWS_ACCESS_KEY_ID: server.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: server.credentials.secretAccessKey };
  const init = ['type=S3', `host=${server.host}`, `port=${server.port}`, 'protocol=http', `bucket=interop${++bucketSeq}`,
    'signature=v4', 'requeststyle=path', 'fileprefix=annex/'];
  return { init, enable: [], env };
}

const TYPES = { directory: directoryTarget, S3: s3Target } as const;

for (const [typeName, makeTarget] of Object.entries(TYPES)) {
  for (const [writer, reader] of [['ferry', 'git-annex'], ['git-annex', 'ferry']] as const) {
    for (const encryption of ['none', 'shared']) {
      for (const chunk of [undefined, '1MiB']) {
        const label = `${typeName}, encryption=${encryption}, ${chunk ? `chunk=${chunk}` : 'whole'}: ${writer} writes, ${reader} reads`;
        test(label, async (t) => {
          const target = await makeTarget(t);
          const env = target.env;
          const origin = await makeRepo(t, { init: writer, description: 'origin', files: FILES });
          await annex(writer, origin, ['add', '.'], env);
          await git(origin, ['commit', '-q', '-m', 'add']);
          await annex(writer, origin, ['initremote', 'cloud', ...target.init, `encryption=${encryption}`, ...(chunk ? [`chunk=${chunk}`] : [])], env);
          await annex(writer, origin, ['copy', '--to', 'cloud', '.'], env);

          const clone = join(await tempDir(t), 'clone');
          await git(origin, ['clone', '-q', origin, clone]);
          await annex(reader, clone, ['init', 'reader'], env);
          // Content must come from the cloud, not from the writer's repository.
          await git(clone, ['config', 'remote.origin.annex-ignore', 'true']);
          await annex(reader, clone, ['enableremote', 'cloud', ...target.enable], env);
          await annex(reader, clone, ['get', '.'], env);
          for (const [name, content] of Object.entries(FILES)) {
            assert.ok((await readFile(join(clone, name))).equals(content), `${name} arrived intact`);
          }
          if (reader === 'git-annex') await gitAnnex(clone, ['fsck', '--from', 'cloud'], { env });
          else {
            await ferry(clone, ['fsck', '--from', 'cloud'], { env });
            // git-annex finds and uses the remote as ferry enabled it in the same clone.
            await gitAnnex(clone, ['fsck', '--from', 'cloud', '--fast'], { env });
          }

          // The reader drops one file from the cloud; the writer's tool then agrees it is gone and the rest is there.
          await annex(reader, clone, ['drop', '--from', 'cloud', 'three-chunks.bin'], env);
          await git(origin, ['fetch', '-q', clone, 'git-annex:refs/remotes/clone/git-annex']);
          const where = await annex(writer, origin, ['whereis', '--json', 'three-chunks.bin'], env);
          assert.doesNotMatch(where.stdout, /cloud/, 'the drop is recorded');
          if (writer === 'git-annex') {
            const fsck = await gitAnnex(origin, ['fsck', '--from', 'cloud', '--fast'], { env, expect: [0, 1] });
            assert.match(fsck.stdout, /fsck hello\.txt ok/);
            assert.doesNotMatch(fsck.stdout + fsck.stderr, /failed/);
          } else {
            await ferry(origin, ['fsck', '--from', 'cloud'], { env });
          }
        });
      }
    }
  }
}
