// type=directory (annex-format §5): a path — a USB disk, NFS, a folder another tool syncs. The path is not
// in remote.log: every clone gives its own at enableremote (`directory=`), kept as remote.NAME.annex-directory.
import { isAbsolute, resolve } from 'node:path';
import { stat } from 'node:fs/promises';
import { DirectoryStore } from '../../store/index.js';
import { BadRemoteConfigError } from '../config.js';
import { directoryLayout } from '../layout.js';
import type { SpecialType } from './type.js';

/** git-annex's cheapRemoteCost. */
const DIRECTORY_COST = 100;

export const directoryType: SpecialType = {
  name: 'directory',
  params: [{ name: 'directory', local: true, required: true, help: 'the path of the directory (it must exist)' }],
  baseCost: DIRECTORY_COST,
  layout: directoryLayout,
  openStore(ctx) {
    const dir = ctx.config.get('directory');
    if (dir === undefined || dir === '') {
      return Promise.reject(new BadRemoteConfigError('directory', `remote ${ctx.name} needs the path of its directory`,
        `give it: ferry enableremote ${ctx.name} directory=/path/to/it`));
    }
    return Promise.resolve(new DirectoryStore(isAbsolute(dir) ? dir : resolve(dir)));
  },
  async prepare(ctx) {
    const dir = ctx.config.get('directory')!;
    const st = await stat(dir).catch(() => undefined);
    if (!st?.isDirectory()) {
      throw new BadRemoteConfigError('directory', `${dir} is not an existing directory`, 'create it first (git-annex requires that too), or check the path');
    }
  },
};
