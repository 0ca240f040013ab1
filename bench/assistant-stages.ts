// Where one change's time goes, A → B, read from both assistants' events (each stamped with the time it
// happened, by the same clock as the benchmark's): A's watcher batch after its quiet delay, A's commit, the
// upload, the push, the notice at B, B's pull, B's download queued, and the benchmark seeing B's bytes.
import type { AssistantEvent } from '../src/assistant/index.js';

export const STAGES = ['changes seen (A)', 'committed (A)', 'uploaded (A)', 'pushed (A)', 'notice (B)', 'pulled (B)', 'download queued (B)', 'bytes seen'] as const;
export type Stage = (typeof STAGES)[number];

/** Each stage's end in ms after `t0` (Date.now() just before the write); missing when its event was not seen. */
export function stagesOf(aEvents: readonly AssistantEvent[], bEvents: readonly AssistantEvent[], path: string, t0: number, arrivalMs: number): Map<Stage, number> {
  const out = new Map<Stage, number>();
  const first = (evs: readonly AssistantEvent[], from: number, match: (e: AssistantEvent) => boolean) => evs.find((e) => e.time >= from && match(e));
  const put = (stage: Stage, e: AssistantEvent | undefined) => { if (e !== undefined) out.set(stage, e.time - t0); };
  const seen = first(aEvents, t0, (e) => e.type === 'changes-seen' && !e.scan);
  put('changes seen (A)', seen);
  const committed = first(aEvents, seen?.time ?? t0, (e) => e.type === 'committed' && e.added > 0);
  put('committed (A)', committed);
  put('uploaded (A)', transferDone(aEvents, t0, 'upload', path));
  const pushed = first(aEvents, committed?.time ?? t0, (e) => e.type === 'pushed');
  put('pushed (A)', pushed);
  const notice = first(bEvents, pushed?.time ?? t0, (e) => e.type === 'notice');
  put('notice (B)', notice);
  put('pulled (B)', first(bEvents, notice?.time ?? pushed?.time ?? t0, (e) => e.type === 'pulled' && e.merged));
  // B's transfer-done comes after its bytes are in place (the benchmark often sees them first): the queueing
  // is the last event before them.
  put('download queued (B)', bEvents.find((e) => e.time >= t0 && e.type === 'transfer-queued' && e.direction === 'download' && e.path === path));
  out.set('bytes seen', arrivalMs);
  return out;
}

function transferDone(evs: readonly AssistantEvent[], from: number, direction: 'upload', path: string): AssistantEvent | undefined {
  const queued = evs.find((e) => e.time >= from && e.type === 'transfer-queued' && e.direction === direction && e.path === path);
  if (queued?.type !== 'transfer-queued') return undefined;
  return evs.find((e) => e.id > queued.id && e.type === 'transfer-done' && e.transfer === queued.transfer && e.ok);
}

/** How the notice reached B (relay, poll, …), if it did. */
export function noticeVia(bEvents: readonly AssistantEvent[], t0: number): string | undefined {
  const n = bEvents.find((e) => e.time >= t0 && e.type === 'notice');
  return n?.type === 'notice' ? n.via : undefined;
}
