// A StatusSnapshot as the daemon will fill it in, for the status server's tests (the daemon comes later).
import type { StatusSnapshot } from '../../src/assistant/index.js';

export function fixtureSnapshot(path: string, now = Date.now()): StatusSnapshot {
  return {
    repository: { path, uuid: '11111111-1111-4111-8111-111111111111', description: 'alice laptop', seq: 7 },
    assistant: { pid: process.pid, startedAt: now - 120_000 },
    peers: [
      {
        uuid: '22222222-2222-4222-8222-222222222222', description: 'bob desktop', remote: 'cloud-git', seq: 12, lastSeen: now - 30_000,
        lacks: { files: 2, bytes: 3_100_000, examples: ['photos/beach.jpg', 'notes/<b>todo</b>.txt'] },
      },
      {
        uuid: '33333333-3333-4333-8333-333333333333', description: 'old phone', seq: 3, lastSeen: now - 40 * 86_400_000, silent: true,
        lacks: { files: 0, bytes: 0, examples: [] },
      },
    ],
    transfers: [
      { transfer: 'q1', direction: 'upload', key: 'SHA256E-s10000000--aa.bin', path: 'big.bin', remote: 'cloud', state: 'active', bytes: 4_500_000, size: 10_000_000, attempt: 1 },
      { transfer: 'q2', direction: 'download', key: 'SHA256E-s5--bb.txt', path: 'small.txt', remote: 'cloud', state: 'retrying', bytes: 0, size: 5, attempt: 2, error: 'connection reset', retryAt: now + 8000 },
    ],
    notifiers: [{ remote: 'cloud', notifier: 'relay ws://127.0.0.1:9/', state: 'connected', since: now - 60_000 }],
    cloud: [{
      remote: 'cloud', type: 'S3', storedBytes: 1_200_000_000, objects: 140, requestsPerMonth: 3200,
      estimatedCostPerMonth: { amount: 0.02, currency: 'USD', basis: '3,200 requests at 0.005 USD per 1,000 PUT/LIST' },
    }],
    unused: { keys: 4, bytes: 52_000_000 },
  };
}
