// git's remote-helper protocol (gitremote-helpers(7)) for one cloud: capabilities, option, list, list
// for-push, fetch and push. `list` fetches the cloud (bundles are applied as objects, so `fetch` only checks
// they are here); `list for-push` shows this peer's own refs, so git's fast-forward check never sees other
// peers' pushes; `push` sends every ref of the batch in one bundle and one manifest.
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { gitText, presentObjects } from '../git/index.js';
import { errorMessage } from '../util/index.js';
import type { CloudGit } from './cloud-git.js';
import { HelperProtocolError } from './errors.js';
import type { Listing } from './refs.js';

export interface HelperIO {
  readonly input: Readable;
  readonly output: Writable;
  /** Lines for the person running git (stderr); `verbosity` follows git's `option verbosity`. */
  readonly say: (line: string) => void;
}

function formatListing(listing: Listing): string {
  let out = '';
  if (listing.head !== undefined) out += `@${listing.head} HEAD\n`;
  for (const [ref, sha] of listing.refs) out += `${sha} ${ref}\n`;
  return `${out}\n`;
}

/** Parses `push [+]src:dst` (an empty src deletes dst). */
function parsePush(line: string): { src: string | undefined; dst: string } {
  const spec = line.slice('push '.length).replace(/^\+/, '');
  const colon = spec.lastIndexOf(':');
  if (colon < 0) throw new HelperProtocolError(`git sent a push without a destination: ${line}`);
  const src = spec.slice(0, colon);
  return { src: src === '' ? undefined : src, dst: spec.slice(colon + 1) };
}

/** Serves git on `io` until it closes the stream or sends an empty line outside a batch. */
export async function runHelper(cloud: CloudGit, git: { cwd: string }, io: HelperIO): Promise<void> {
  const lines = createInterface({ input: io.input, crlfDelay: Infinity })[Symbol.asyncIterator]();
  const next = async (): Promise<string | undefined> => {
    const r = await lines.next();
    return r.done ? undefined : r.value;
  };
  const write = (text: string): Promise<void> => new Promise((resolve, reject) => {
    io.output.write(text, (err) => (err ? reject(err) : resolve()));
  });
  for (;;) {
    const line = await next();
    if (line === undefined || line === '') return;
    if (line === 'capabilities') await write('option\nfetch\npush\n\n');
    else if (line.startsWith('option ')) {
      const [, name] = line.split(' ');
      await write(name === 'verbosity' || name === 'progress' || name === 'followtags' ? 'ok\n' : 'unsupported\n');
    } else if (line === 'list' || line === 'list for-push') {
      const listing = line === 'list' ? await cloud.fetch() : await cloud.listForPush();
      await write(formatListing(listing));
    } else if (line.startsWith('fetch ')) {
      const wanted = [line.split(' ')[1]!];
      for (let l = await next(); l !== undefined && l !== ''; l = await next()) wanted.push(l.split(' ')[1]!);
      const have = await presentObjects(git, wanted);
      if (wanted.some((sha) => !have.has(sha))) await cloud.fetch();
      const now = await presentObjects(git, wanted);
      const lacking = wanted.filter((sha) => !now.has(sha));
      if (lacking.length > 0) throw new HelperProtocolError(`the cloud no longer has ${lacking.join(', ')} (a peer pushed over it since the list); fetch again`);
      await write('\n');
    } else if (line.startsWith('push ')) {
      const updates = [parsePush(line)];
      for (let l = await next(); l !== undefined && l !== ''; l = await next()) updates.push(parsePush(l));
      const head = await gitText(git, ['symbolic-ref', '-q', 'HEAD'], { okCodes: [1, 128] });
      let results;
      try {
        results = await cloud.push(updates, head.startsWith('refs/heads/') ? head : undefined);
      } catch (err) {
        io.say(`ferry: push failed: ${errorMessage(err)}`);
        results = updates.map((u) => ({ dst: u.dst, error: errorMessage(err).replace(/\n/g, ' ') }));
      }
      await write(`${results.map((r) => (r.error === undefined ? `ok ${r.dst}\n` : `error ${r.dst} ${r.error}\n`)).join('')}\n`);
    } else {
      throw new HelperProtocolError(`git sent a command this helper does not know: ${line}`);
    }
  }
}
