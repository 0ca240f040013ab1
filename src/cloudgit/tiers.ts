// When push consolidates a peer's own bundles (docs/cloudgit-format.md "Consolidation"): size tiers, as in
// log-structured merge trees. A bundle's tier is log_F of its size; once F bundles share the lowest full tier
// they become one bundle of the next tier. Each byte is re-uploaded about log_F(pushes) times, the bundle
// count stays below (F − 1) per tier, and history is never re-sent whole as a routine.
export const FACTOR = 4;
/** Beyond this many own bundles, everything is merged into one (tier merges alone could not keep up). */
export const MAX_BUNDLES = 64;

export interface Sized {
  readonly id: string;
  readonly size: number;
}

function tier(size: number): number {
  return Math.floor(Math.log(Math.max(size, 1)) / Math.log(FACTOR));
}

/** The ids to merge into one bundle now (at most one merge per push), or [] when the tiers are in shape. */
export function consolidation(bundles: readonly Sized[]): string[] {
  if (bundles.length > MAX_BUNDLES) return bundles.map((b) => b.id);
  const byTier = new Map<number, string[]>();
  for (const b of bundles) {
    const list = byTier.get(tier(b.size)) ?? [];
    list.push(b.id);
    byTier.set(tier(b.size), list);
  }
  for (const t of [...byTier.keys()].sort((a, b) => a - b)) {
    const ids = byTier.get(t)!;
    if (ids.length >= FACTOR) return ids;
  }
  return [];
}
