import type { Annex, LockResult } from '../../annex/index.js';
import type { Output } from './output.js';

/** "unlock FILE ok" / the JSON record, for lock and unlock. */
export function reportLockResult(out: Output, annex: Annex, command: string, input: readonly string[], r: LockResult): void {
  const file = annex.repo.displayPath(r.path);
  out.line(`${command} ${file} ${r.ok ? 'ok' : 'failed'}`);
  if (!r.ok) out.warn(`  ${r.error ?? 'failed'}`);
  out.record({ command, file, key: r.key, input: [...input], success: r.ok, 'error-messages': r.ok ? [] : [r.error ?? 'failed'] });
}
