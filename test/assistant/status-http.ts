// Plain HTTP against the status server for its tests: node:http so that the Host header is what the test
// says (fetch would set it itself), and an SSE reader that parses the stream as it arrives.
import { request } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

export interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export function call(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent: false, headers: { Host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (b: Buffer) => chunks.push(b));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

export interface SseFrame {
  readonly id?: string;
  readonly event?: string;
  readonly data?: string;
  /** A comment line (heartbeat) rather than an event. */
  readonly comment?: string;
}

/** An open SSE response, read frame by frame. */
export class SseReader {
  readonly frames: SseFrame[] = [];
  #buffer = '';
  #waiters: (() => void)[] = [];
  #ended = false;

  private constructor(readonly response: IncomingMessage) {
    response.setEncoding('utf8');
    response.on('data', (text: string) => {
      this.#buffer += text;
      let end: number;
      while ((end = this.#buffer.indexOf('\n\n')) >= 0) {
        this.frames.push(parseFrame(this.#buffer.slice(0, end)));
        this.#buffer = this.#buffer.slice(end + 2);
      }
      this.#wake();
    });
    response.on('end', () => {
      this.#ended = true;
      this.#wake();
    });
  }

  static open(port: number, path: string, headers: Record<string, string>): Promise<SseReader> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, agent: false, headers: { Host: `localhost:${port}`, Accept: 'text/event-stream', ...headers } }, (res) => resolve(new SseReader(res)));
      req.on('error', reject);
      req.end();
    });
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Waits until `ok(frames)` holds (the test runner's timeout bounds the wait); throws if the stream ends first. */
  async until(ok: (frames: readonly SseFrame[]) => boolean): Promise<void> {
    while (!ok(this.frames)) {
      if (this.#ended) throw new Error(`the event stream ended; frames: ${JSON.stringify(this.frames)}`);
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** The event frames (not comments, not `retry:`) with their data parsed. */
  events(): { id: number; body: Record<string, unknown> }[] {
    return this.frames.filter((f) => f.id !== undefined && f.event === undefined).map((f) => ({ id: Number(f.id), body: JSON.parse(f.data!) as Record<string, unknown> }));
  }

  close(): void {
    this.response.destroy();
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }
}

function parseFrame(text: string): SseFrame {
  const frame: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (line.startsWith(':')) frame.comment = line.slice(1).trim();
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const field = line.slice(0, colon);
    const value = line.slice(colon + 1).replace(/^ /, '');
    frame[field] = frame[field] === undefined ? value : `${frame[field]}\n${value}`;
  }
  return frame;
}
