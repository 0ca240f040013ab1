// What transfers ask of the repository's policy (src/annex Policy): numcopies and mincopies per file, trust
// levels and required content for drops, and the --auto decisions of get, copy and drop.
import type { Annex, CopiesOverrides, PolicyItem } from '../../annex/index.js';
import { Policy } from '../../annex/index.js';
import type { DropPolicy } from './drop.js';

export type { CopiesOverrides };

/** Loads the policy once per command; `overrides` are --numcopies/--mincopies. */
export async function loadTransferPolicy(annex: Annex, overrides: CopiesOverrides = {}): Promise<Policy> {
  return Policy.load(annex, overrides);
}

/** The drop questions of `policy`. */
export function dropPolicy(policy: Policy): DropPolicy {
  return {
    async need(item) {
      return { numcopies: await policy.numcopies(item), mincopies: await policy.mincopies(item) };
    },
    trust: (uuid) => policy.trust(uuid),
    required: (uuid, item: PolicyItem) => policy.mustKeep(uuid, item),
  };
}
