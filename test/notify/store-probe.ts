// A stand-in for the cloud's manifests in poll's tests: each peer's seq as the object `m/<peer>` of a real
// store. The real probe (CloudGit.probe) is exercised by notify-cli.test.ts against a ferry:: cloud.
import type { ManifestProbe } from '../../src/notify/transports/poll.js';
import type { Store } from '../../src/remotes/store/index.js';

/** Reads every `m/<peer>` object; counts failures in `failures` (tests wait on them). */
export function storeProbe(store: Store, failures = { count: 0 }): ManifestProbe {
  return async () => {
    try {
      const out = [];
      for await (const e of store.list('m/')) {
        const chunks: Buffer[] = [];
        for await (const c of (await store.get(e.name)) as AsyncIterable<Buffer>) chunks.push(c);
        out.push({ peer: e.name.slice(2), seq: Number(Buffer.concat(chunks).toString('utf8')) });
      }
      return out;
    } catch (err) {
      failures.count++;
      throw err;
    }
  };
}

/** What a push does, as poll sees it: the peer's manifest (here, its seq) lands in the store. */
export function publish(store: Store, peer: string, seq: number): Promise<void> {
  return store.put(`m/${peer}`, { bytes: Buffer.from(String(seq)) });
}
