// `ferry filter-process`: git's long-running filter protocol, version 2 (gitattributes(5)), so that adding
// 10,000 unlocked files starts one ferry, not 10,000. Capabilities clean and smudge, as git-annex offers
// (no delay). The framing is in pkt-line.ts, the decisions in clean.ts.
import type { Readable, Writable } from 'node:stream';
import { FerryError, checkpoint, errorMessage, warn } from '../../util/index.js';
import type { Annex } from '../annex.js';
import { Filter } from './clean.js';
import { FLUSH, PktReader, PktWriter } from './pkt-line.js';

export class FilterProtocolError extends FerryError {}

export async function runFilterProcess(annex: Annex, input: Readable, output: Writable): Promise<void> {
  const reader = new PktReader(input);
  const writer = new PktWriter(output);
  const hello = await reader.readList();
  if (!hello || hello[0] !== 'git-filter-client' || !hello.includes('version=2')) {
    throw new FilterProtocolError(`unexpected filter handshake: ${JSON.stringify(hello)}`);
  }
  await writer.list(['git-filter-server', 'version=2']);
  const offered = (await reader.readList()) ?? [];
  await writer.list(['clean', 'smudge'].filter((c) => offered.includes(`capability=${c}`)).map((c) => `capability=${c}`));

  const filter = new Filter(annex);
  checkpoint('filter-process');
  try {
    for (;;) {
      const header = await reader.readList();
      if (header === undefined) return;
      const fields = new Map(header.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
      const command = fields.get('command');
      const path = fields.get('pathname') ?? '';
      const content = contentOf(reader);
      try {
        if (command === 'clean') {
          const result = await filter.clean(path, content);
          await writer.list(['status=success']);
          if ('pointer' in result) await writer.data(Buffer.from(result.pointer, 'utf8'));
          else {
            try {
              for await (const b of result.passthrough) await writer.data(b);
            } finally {
              await result.dispose();
            }
          }
        } else if (command === 'smudge') {
          const chunks: Buffer[] = [];
          for await (const b of content) chunks.push(b);
          const blob = Buffer.concat(chunks);
          await filter.smudge(path, blob);
          await writer.list(['status=success']);
          await writer.data(blob);
        } else {
          for await (const _ of content) { /* skip what we do not handle */ }
          await writer.list(['status=error']);
          continue;
        }
        await writer.flush();
        await writer.flush(); // empty final status list: the status above stands
      } catch (err) {
        // One file failing must not stop git's whole command: report it and answer "error" for that file.
        for await (const _ of content) { /* finish reading this file's content */ }
        warn(`${path}: ${errorMessage(err)}`);
        await writer.list(['status=error']);
      }
    }
  } finally {
    filter.close();
  }
}

/** The content packets of the current file, up to the flush that ends them; safe to abandon and re-drain. */
function contentOf(reader: PktReader): AsyncIterable<Buffer> {
  let ended = false;
  return {
    async *[Symbol.asyncIterator]() {
      while (!ended) {
        const p = await reader.next();
        if (p === undefined || p === FLUSH) {
          ended = true;
          return;
        }
        yield p;
      }
    },
  };
}
