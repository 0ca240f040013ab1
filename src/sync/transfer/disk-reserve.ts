// annex.diskreserve (git-annex's default: 100 megabytes): a transfer into this repository is refused when it
// would leave less free space than that, with an error naming the setting.
import { statfs } from 'node:fs/promises';
import type { Annex } from '../../annex/index.js';
import { FerryError, formatSize, parseSize } from '../../util/index.js';

const DEFAULT_RESERVE = 100_000_000;

export class DiskReserveError extends FerryError {
  constructor(need: number, free: number, reserve: number) {
    super(`not enough free space: need ${formatSize(need)}, and ${formatSize(free)} is free with annex.diskreserve at ${formatSize(reserve)}`, {
      data: { need, free, reserve },
      hint: 'free some space, or lower annex.diskreserve (git config annex.diskreserve 10mb)',
    });
  }
}

export function diskReserve(annex: Annex): number {
  const v = annex.repo.config.get('annex.diskreserve');
  return v === undefined ? DEFAULT_RESERVE : parseSize(v) ?? DEFAULT_RESERVE;
}

/** Throws DiskReserveError unless `bytes` more fit while keeping the reserve free. */
export async function checkDiskReserve(annex: Annex, bytes: number | undefined, reserve: number): Promise<void> {
  if (bytes === undefined) return;
  const st = await statfs(annex.repo.layout.annexDir).catch(() => undefined);
  if (!st) return; // cannot tell: let the write itself fail if it must
  const free = st.bavail * st.bsize;
  if (free - bytes < reserve) throw new DiskReserveError(bytes, free, reserve);
}
