// --auto: which items a transfer works on when preferred content decides (git-annex 10.20230126's
// Command/Get.hs, Copy.hs, Drop.hs):
//   get / copy --from:  not here, and this repository wants it or fewer than numcopies copies exist;
//   copy --to R:        R wants it or fewer than numcopies copies exist;
//   drop [--from R]:    the target would not want it once dropped, and the location log already shows
//                       numcopies copies besides the target's (untrusted ones not counted) — the drop's
//                       own proof (proof.ts) then still has to verify them.
// Copies are counted as git-annex counts them for these checks: logged locations that are not untrusted
// or dead.
import type { Annex, Policy, PolicyItem } from '../../annex/index.js';
import { policyItems } from '../../annex/index.js';
import type { TransferItem } from './items.js';

export type AutoMode =
  | { readonly kind: 'get' }
  | { readonly kind: 'send'; readonly to: string }
  | { readonly kind: 'drop'; readonly from: string };

/** The items --auto keeps, in their order. */
export async function autoItems(annex: Annex, policy: Policy, items: readonly TransferItem[], mode: AutoMode): Promise<TransferItem[]> {
  const facts = await policyItems(annex, items);
  const kept: TransferItem[] = [];
  for (const [i, item] of items.entries()) {
    if (await wanted(policy, facts[i]!, mode)) kept.push(item);
  }
  return kept;
}

async function wanted(policy: Policy, item: PolicyItem, mode: AutoMode): Promise<boolean> {
  const counted = (except?: string) => [...item.locations]
    .filter((u) => u !== except && policy.trust(u) !== 'untrusted' && policy.trust(u) !== 'dead').length;
  const numcopies = await policy.numcopies(item);
  switch (mode.kind) {
    case 'get':
      return counted() < numcopies || policy.wantsToHave(policy.here, item);
    case 'send':
      return counted() < numcopies || policy.wantsToHave(mode.to, item);
    case 'drop':
      return counted(mode.from) >= numcopies && !(await policy.wantsToKeep(mode.from, item));
  }
}
