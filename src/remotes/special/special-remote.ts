// A git-annex special remote over a Store (ARCHITECTURE "Special remotes"): keys stored whole or in chunks,
// plain or encrypted, under the names git-annex gives them, so either tool reads what the other wrote. The
// remote keeps no log of its own: this repository's chunk log records how a key was chunked (written here),
// its location log that the key is there (written by the caller). A special remote cannot lock content, so a
// drop counts its copy on checkPresent alone, as git-annex does.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { Annex, Sink } from '../../annex/index.js';
import { chunkCountChange, chunkLogPath, loggedChunks, parseKeyOrThrow } from '../../annex/index.js';
import type { Lock } from '../../util/index.js';
import { FerryError, checkpoint, errorMessage, mapPool } from '../../util/index.js';
import { ContentNotThereError, MissingChunkError, RemoteReadError, isDamagedRead } from '../errors.js';
import { StorePermanentError, StoreTransientError } from '../store/index.js';
import type { Remote, RemoteCapabilities, StoreItem, StoreOptions } from '../remote.js';
import type { PutSource, Store } from '../store/index.js';
import { candidateChunkings, chunkingFor, pieces } from './chunks.js';
import type { Chunking, Piece } from './chunks.js';
import type { ObjectLayout } from './layout.js';

/** encryption=shared as the layer above provides it: names and content, byte-compatible with git-annex. */
export interface ContentCipher {
  /** The name a key is stored under (`GPGHMACSHA1--…`, §6.2). */
  storedName(keyText: string): string;
  /** `plain` as an OpenPGP message (§6.3); `size` is the plaintext's length, when known. */
  encrypt(plain: AsyncIterable<Uint8Array>, size?: number): Readable;
  /**
   * The plaintext of an OpenPGP message. Bytes flow before the message's integrity check at its end, which
   * fails the stream; receiving verifies the key's hash anyway, so nothing unverified enters the repository.
   */
  decrypt(message: AsyncIterable<Uint8Array>): Readable;
}

export interface SpecialRemoteSettings {
  readonly name: string;
  readonly uuid: string;
  readonly cost: number;
  /** The store, already wrapped (retries, concurrency). */
  readonly store: Store;
  readonly layout: ObjectLayout;
  /** `chunk=` for new content; undefined stores keys whole. */
  readonly chunkSize: number | undefined;
  readonly cipher: ContentCipher | undefined;
}

/**
 * Keys stored at once when the caller does not say (-J): a few large ones, each streaming MiBs, and alongside
 * them many small ones, each a few file-system or network round trips that only overlap well in numbers
 * (10,000 small files to a directory remote: 4.5 s four at a time, 3.4 s sixteen at a time).
 */
const STORE_JOBS = 4;
const SMALL_STORE_JOBS = 16;
const SMALL_KEY = 1 << 20;
/** Pieces of one key being stored at once (their bytes flow one piece at a time, see storeOne). */
const PIECE_JOBS = 3;
/** Encrypted pieces up to this size are decrypted whole before they are written (the default chunk=8MiB). */
const PIECE_BUFFER = 8 << 20;
/** Pieces opened ahead of the one being read (encrypted: their key derivations run meanwhile). */
const OPEN_AHEAD = 2;
/** Tries of one such piece whose read was damaged or failed transiently. */
const PIECE_ATTEMPTS = 3;

export class SpecialRemote implements Remote {
  readonly capabilities: RemoteCapabilities = { contentLocks: false, ownLog: false, transientReads: true };
  readonly name: string;
  readonly uuid: string;
  readonly cost: number;

  constructor(private readonly settings: SpecialRemoteSettings, private readonly here: Annex) {
    this.name = settings.name;
    this.uuid = settings.uuid;
    this.cost = settings.cost;
  }

  async checkPresent(key: string): Promise<boolean> {
    try {
      for (const chunking of await this.candidates(key)) {
        if (await this.allPresent(key, chunking)) return true;
      }
      return false;
    } catch (err) {
      throw named(this.name, key, err);
    }
  }

  async retrieve(key: string, sink: Sink): Promise<void> {
    try {
      await this.retrieveFrom(key, sink);
    } catch (err) {
      throw named(this.name, key, err);
    }
  }

  private async retrieveFrom(key: string, sink: Sink): Promise<void> {
    let lastError: MissingChunkError | undefined;
    // Every layout holds the same content, so when one turns out incomplete (a chunk missing, a chunk log
    // that claims more than there is) the next one continues from the bytes already received; the key's hash
    // at the end decides whether they were right.
    let received = sink.offset;
    const counting: Sink = {
      get offset() { return received; },
      write: async (chunk) => {
        await sink.write(chunk);
        received += chunk.length;
      },
    };
    for (const chunking of await this.candidates(key)) {
      const size = sizeFor(key);
      if (size === undefined && chunking.chunkSize !== undefined) continue;
      const all = pieces(key, size ?? 0, chunking);
      // A chunking whose first piece is absent is not this key's layout here: try the next one.
      if (await this.findObject(all[0]!.key) === undefined) continue;
      try {
        await this.deliver(key, all, counting);
        return;
      } catch (err) {
        if (!(err instanceof MissingChunkError)) throw err;
        lastError = err;
      }
    }
    throw lastError ?? new ContentNotThereError(this.name, key);
  }

  async storeKeys(items: readonly StoreItem[], done: (key: string, err?: Error) => void, opts: StoreOptions = {}): Promise<void> {
    const stored: { key: string; chunking: Chunking }[] = [];
    const storeItem = async ({ key, src }: StoreItem) => {
      try {
        stored.push({ key, chunking: await this.storeOne(key, src, opts.progress ? (b) => opts.progress!(key, b) : undefined) });
      } catch (err) {
        const e = named(this.name, key, err);
        done(key, e instanceof Error ? e : new Error(errorMessage(e)));
      }
    };
    const small: StoreItem[] = [];
    const large: StoreItem[] = [];
    for (const i of items) ((sizeFor(i.key) ?? Infinity) <= SMALL_KEY ? small : large).push(i);
    await Promise.all([mapPool(large, opts.jobs ?? STORE_JOBS, storeItem), mapPool(small, opts.jobs ?? SMALL_STORE_JOBS, storeItem)]);
    // The store's bytes are durable before any log says they are there (docs/NOTES.md "Durability order").
    try {
      await this.settings.store.flush();
    } catch (err) {
      for (const { key } of stored) {
        const e = named(this.name, key, err);
        done(key, e instanceof Error ? e : new Error(errorMessage(e)));
      }
      return;
    }
    const changes = new Map<string, (old: string) => string>();
    for (const { key, chunking } of stored) {
      if (chunking.chunkSize !== undefined) changes.set(chunkLogPath(key), chunkCountChange(this.uuid, chunking.chunkSize, chunking.count));
    }
    await this.here.branch.change(changes);
    for (const { key } of stored) done(key);
  }

  async remove(key: string, lock: Lock | undefined): Promise<void> {
    lock?.release(); // never taken: a special remote has no content locks
    try {
      await this.removeFrom(key);
    } catch (err) {
      throw named(this.name, key, err);
    }
  }

  private async removeFrom(key: string): Promise<void> {
    const changes = new Map<string, (old: string) => string>();
    for (const chunking of await this.candidates(key)) {
      const size = sizeFor(key);
      if (size === undefined && chunking.chunkSize !== undefined) continue;
      await mapPool(pieces(key, size ?? 0, chunking), 8, async (p) => {
        for (const name of this.names(p.key)) await this.settings.store.delete(name);
      });
      if (chunking.chunkSize !== undefined) changes.set(chunkLogPath(key), chunkCountChange(this.uuid, chunking.chunkSize, 0));
    }
    await this.settings.store.flush();
    await this.here.branch.change(changes);
  }

  lockContent(): Promise<Lock | undefined> {
    return Promise.resolve(undefined);
  }

  close(): void {
    void this.settings.store.close();
  }

  /**
   * Stores one key, chunk by chunk; chunks already there (an interrupted earlier store) are not sent again.
   * PIECE_JOBS pieces are under way at once, but an encrypted piece's bytes flow only once the previous
   * piece's plaintext has been read: one piece's buffers in memory, while the others look for an earlier copy
   * or close, rename and make the directory of the one before.
   */
  private async storeOne(key: string, src: string, progress: ((bytes: number) => void) | undefined): Promise<Chunking> {
    // The key's size where it has one (an object's size is its key's): a stat less per key.
    const parsed = parseKeyOrThrow(key);
    const size = parsed.size ?? (await stat(src)).size;
    const chunking = chunkingFor(parsed, size, this.settings.chunkSize);
    let total = 0;
    const sent = (piece: Piece, previous: number, now: number) => {
      total += Math.min(now, piece.length) - Math.min(previous, piece.length);
      progress?.(total);
    };
    // Chunks are looked for first, so an interrupted store resumes; a whole key is put at once (its presence
    // was just checked, and a put replaces atomically).
    const resumable = chunking.chunkSize !== undefined;
    let turn = Promise.resolve();
    await mapPool(pieces(key, size, chunking), resumable ? PIECE_JOBS : 1, async (piece) => {
      // Taken in piece order: mapPool starts its items in order, and this runs before the first await.
      const previous = turn;
      let release!: () => void;
      turn = new Promise((resolve) => { release = resolve; });
      let bytes = 0;
      try {
        const name = this.names(piece.key)[0]!;
        const there = resumable ? await this.settings.store.stat(name) : undefined;
        if (there === undefined || (this.settings.cipher === undefined && there.size !== piece.length)) {
          // Waited for here, not inside the put: a piece waiting for its turn must not hold one of the store's
          // concurrency slots that an earlier piece needs.
          if (this.settings.cipher !== undefined) await previous;
          const source = this.source(src, piece, piece.key === key, release);
          await this.settings.store.put(name, source, { progress: (b) => { sent(piece, bytes, b); bytes = b; } });
          checkpoint('piece-stored', piece.key);
        } else checkpoint('piece-kept', piece.key); // an interrupted store's piece: not sent again
        sent(piece, bytes, piece.length);
      } finally {
        release();
      }
    });
    return chunking;
  }

  /** A piece's bytes as a put sends them; `plainRead` is called once an encrypted piece's plaintext is read. */
  private source(src: string, piece: Piece, whole: boolean, plainRead: () => void): PutSource {
    const cipher = this.settings.cipher;
    // The whole object is sent as the file, which a directory store copies with the kernel.
    if (cipher === undefined) return whole ? { path: src } : { path: src, offset: piece.offset, size: piece.length };
    const plain = () => {
      const stream = piece.length === 0
        ? Readable.from([])
        : createReadStream(src, { start: piece.offset, end: piece.offset + piece.length - 1, highWaterMark: 1 << 20 });
      // Once the plaintext is read (and so encrypted but for the last block), the next piece may start.
      stream.once('close', plainRead);
      return stream;
    };
    return { open: () => cipher.encrypt(plain(), piece.length) };
  }

  /**
   * Writes the pieces' bytes from sink.offset on, in order. The next OPEN_AHEAD pieces are opened while one
   * is read, so encrypted objects' key derivations (65M SHA-1 iterations each in git-annex's objects) keep
   * the derivation workers busy while the main thread decrypts.
   */
  private async deliver(key: string, all: readonly Piece[], sink: Sink): Promise<void> {
    const todo = all.filter((p) => p.length === 0 || p.offset + p.length > sink.offset);
    const opened: Promise<Readable>[] = [];
    const open = (i: number) => {
      const piece = todo[i]!;
      const p = this.openPiece(key, piece, i === 0 ? Math.max(0, sink.offset - piece.offset) : 0);
      p.catch(() => undefined); // awaited in its round, or destroyed below
      opened.push(p);
    };
    try {
      for (let i = 0; i < todo.length; i++) {
        const piece = todo[i]!;
        const skip = i === 0 ? Math.max(0, sink.offset - piece.offset) : 0;
        while (opened.length < Math.min(todo.length - i, OPEN_AHEAD + 1)) open(i + opened.length);
        const current = opened.shift()!;
        await this.copyPiece(key, piece, skip, await current, sink);
        checkpoint('piece-retrieved', piece.key);
      }
    } finally {
      for (const p of opened) void p.then((s) => s.destroy(), () => undefined);
    }
  }

  /**
   * Copies one piece's plaintext into the sink. An encrypted piece of at most PIECE_BUFFER bytes is taken
   * whole before any of it is written, so one that fails its integrity check (a damaged read) is fetched
   * again here rather than leaving bad bytes in the partial file; a larger one streams, and a damaged read
   * then fails the key, whose next attempt starts over.
   */
  private async copyPiece(key: string, piece: Piece, skip: number, stream: Readable, sink: Sink): Promise<void> {
    const buffered = this.settings.cipher !== undefined && piece.length <= PIECE_BUFFER;
    for (let attempt = 1; ; attempt++) {
      try {
        if (!buffered) {
          for await (const chunk of stream as AsyncIterable<Uint8Array>) await sink.write(chunk);
          return;
        }
        const chunks: Uint8Array[] = [];
        for await (const chunk of stream as AsyncIterable<Uint8Array>) chunks.push(chunk);
        for (const chunk of chunks) await sink.write(chunk);
        return;
      } catch (err) {
        const damaged = isDamagedRead(err);
        if (!buffered || attempt >= PIECE_ATTEMPTS || !(damaged || err instanceof StoreTransientError)) {
          const cause = err instanceof FerryError ? err : new FerryError(errorMessage(err), { cause: err });
          throw new RemoteReadError(this.name, key, piece.key, damaged, cause);
        }
        stream = await this.openPiece(key, piece, skip);
      }
    }
  }

  /** The plaintext of a piece from byte `skip` on. */
  private async openPiece(key: string, piece: Piece, skip: number): Promise<Readable> {
    const name = await this.findObject(piece.key);
    if (name === undefined) throw new MissingChunkError(this.name, key, piece.key);
    const { cipher, store } = this.settings;
    if (cipher === undefined) return store.get(name, skip > 0 ? { offset: skip } : {});
    const plain = cipher.decrypt(await store.get(name));
    return skip > 0 ? dropBytes(plain, skip) : plain;
  }

  private async candidates(key: string): Promise<Chunking[]> {
    const logged = loggedChunks(await this.here.branch.get(chunkLogPath(key)), this.uuid);
    return candidateChunkings(parseKeyOrThrow(key), logged, this.settings.chunkSize);
  }

  private async allPresent(key: string, chunking: Chunking): Promise<boolean> {
    const size = sizeFor(key);
    if (size === undefined && chunking.chunkSize !== undefined) return false;
    for (const p of pieces(key, size ?? 0, chunking)) {
      if (await this.findObject(p.key) === undefined) return false;
    }
    return true;
  }

  /** The store name an object of `storedKey`'s piece is under, or undefined when absent. */
  private async findObject(pieceKey: string): Promise<string | undefined> {
    for (const name of this.names(pieceKey)) {
      if (await this.settings.store.stat(name) !== undefined) return name;
    }
    return undefined;
  }

  private names(pieceKey: string): readonly string[] {
    const stored = this.settings.cipher ? this.settings.cipher.storedName(pieceKey) : pieceKey;
    return this.settings.layout(stored);
  }
}

/** The content size the key states (undefined for keys without one, which are only ever stored whole). */
function sizeFor(key: string): number | undefined {
  return parseKeyOrThrow(key).size;
}

/** `stream` without its first `n` bytes (a resumed download of an encrypted object decrypts from its start). */
function dropBytes(stream: Readable, n: number): Readable {
  return Readable.from(withoutPrefix(stream, n), { objectMode: false });
}

async function* withoutPrefix(stream: AsyncIterable<Uint8Array>, n: number): AsyncGenerator<Uint8Array> {
  let left = n;
  for await (const chunk of stream) {
    if (left >= chunk.length) {
      left -= chunk.length;
      continue;
    }
    yield left > 0 ? chunk.subarray(left) : chunk;
    left = 0;
  }
}

/**
 * A store's error with the remote and the key named (the store knows only its medium and object names),
 * keeping its class, which retries decide by, and its hint. Errors that name the remote already pass as they are.
 */
function named(remote: string, key: string, err: unknown): unknown {
  if (err instanceof StoreTransientError) return new StoreTransientError(remote, `${key}: ${err.message}`, { name: key, cause: err });
  if (err instanceof StorePermanentError) return new StorePermanentError(remote, `${key}: ${err.message}`, { name: key, cause: err, hint: err.hint });
  return err;
}
