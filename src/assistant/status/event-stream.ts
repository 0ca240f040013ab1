// `/api/events` as Server-Sent Events: the kept events after the reader's position, then each new one as it
// is published, every one with its `id:` so that a browser's EventSource resumes with Last-Event-ID after a
// reconnect. Comments keep idle connections (and proxies, and the reader's own timeout) alive.
import type { ServerResponse } from 'node:http';
import type { AssistantEvent, EventBus } from '../events.js';

/** A reader this far behind in unsent bytes is cut off; it reconnects and resumes (or is told it missed some). */
const MAX_BUFFERED = 4 * 1024 * 1024;

export interface EventStreamOptions {
  readonly heartbeatMs: number;
}

/** Streams events after `since` to `res` until the client goes or `stop()` is called. */
export function streamEvents(bus: EventBus, since: number, res: ServerResponse, opts: EventStreamOptions): { stop(): void } {
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    Connection: 'keep-alive',
  });
  let sent = since;
  const send = (e: AssistantEvent) => {
    if (e.id <= sent) return;
    sent = e.id;
    res.write(`id: ${e.id}\ndata: ${JSON.stringify(e)}\n\n`);
    if (res.writableLength > MAX_BUFFERED) stop();
  };
  // since() and subscribe() in one synchronous step: publish() is synchronous, so nothing falls between.
  const { events, missed } = bus.since(since);
  const unsubscribe = bus.subscribe(send);
  res.write('retry: 1000\n\n');
  if (missed) res.write(`event: missed\ndata: ${JSON.stringify({ since, first: events[0]?.id ?? bus.last + 1 })}\n\n`);
  for (const e of events) send(e);
  const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), opts.heartbeatMs);
  let stopped = false;
  function stop() {
    if (stopped) return;
    stopped = true;
    clearInterval(heartbeat);
    unsubscribe();
    res.end();
  }
  res.on('close', stop);
  return { stop };
}
