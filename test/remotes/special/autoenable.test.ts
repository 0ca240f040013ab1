// autoenable=true: a new clone's init enables the special remote by itself, whichever tool runs init and
// whichever made the remote; a directory remote, which needs a path, is reported instead and init succeeds.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { makeRepo } from '../../helpers/repo.js';
import { ferry, git, gitAnnex } from '../../helpers/run.js';
import { tempDir } from '../../helpers/tmp.js';
import { startS3rver } from '../../servers/s3rver.js';

test('init in a new clone enables an autoenable S3 remote, for ferry and for git-annex', async (t) => {
  const server = await startS3rver(t);
  const env = { AWS_ACCESS_KEY_ID: server.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: server.credentials.secretAccessKey };
  const origin = await makeRepo(t, { files: { 'a.txt': 'auto\n' } });
  await ferry(origin, ['add', '.']);
  await git(origin, ['commit', '-q', '-m', 'add']);
  await ferry(origin, ['initremote', 'cloud', 'type=S3', `host=${server.host}`, `port=${server.port}`, 'protocol=http',
    'bucket=auto', 'encryption=shared', 'autoenable=true'], { env });
  const dir = await tempDir(t);
  await mkdir(join(dir, 'usb'));
  await ferry(origin, ['initremote', 'usb', 'type=directory', `directory=${join(dir, 'usb')}`, 'encryption=none', 'autoenable=true']);
  await ferry(origin, ['copy', '--to', 'cloud', 'a.txt'], { env });

  for (const tool of ['ferry', 'git-annex'] as const) {
    const clone = join(dir, tool);
    await git(origin, ['clone', '-q', origin, clone]);
    const init = tool === 'ferry' ? await ferry(clone, ['init', tool], { env }) : await gitAnnex(clone, ['init', tool], { env });
    assert.match(init.stdout, /Auto enabling special remote cloud/);
    assert.equal((await git(clone, ['config', 'remote.cloud.annex-s3'])).stdout.trim(), 'true');
    await git(clone, ['config', 'remote.origin.annex-ignore', 'true']);
    if (tool === 'ferry') {
      assert.match(init.stderr, /could not auto-enable special remote usb: directory: /, 'a directory remote needs its path');
      await ferry(clone, ['get', 'a.txt'], { env });
    } else await gitAnnex(clone, ['get', 'a.txt'], { env });
    assert.equal((await git(clone, ['cat-file', '-p', 'HEAD:a.txt'])).code, 0);
  }
});
