// Errors of the keys folder (STYLE 6): each names the key, backend or path it is about in `data`.
import { FerryError } from '../../util/index.js';

/** A string that is not a key git-annex 10.20230126 would accept (annex-format.md §1.1), or a Key that cannot be written. */
export class BadKeyError extends FerryError {
  constructor(text: string, reason: string, what = 'key') {
    super(`bad ${what} ${JSON.stringify(text)}: ${reason}`, {
      data: { key: text, reason },
      hint: 'a key looks like SHA256E-s12--<64 hex digits>.txt: backend, optional -s size, then -- and the name',
    });
  }
}

/** A backend name ferry does not know. */
export class UnknownBackendError extends FerryError {
  constructor(backend: string, known: readonly string[]) {
    super(`unknown backend ${JSON.stringify(backend)}`, {
      data: { backend },
      hint: `use one of ${known.join(', ')}`,
    });
  }
}

/** A known backend that cannot make a key from a file's content (URL keys come from URLs, not bytes). */
export class UnusableBackendError extends FerryError {
  constructor(backend: string, usable: readonly string[]) {
    super(`backend ${backend} cannot make a key from a file`, {
      data: { backend },
      hint: `use one of ${usable.join(', ')}`,
    });
  }
}

/** The file changed, was replaced or vanished while it was being hashed: the key would not describe it. */
export class FileChangedError extends FerryError {
  constructor(path: string, reason: 'changed' | 'vanished', cause?: unknown) {
    super(reason === 'vanished'
      ? `${path} vanished while it was being hashed`
      : `${path} changed while it was being hashed`, {
      data: { path, reason },
      hint: 'the file is still being written; run the command again once it is quiet',
      cause,
    });
  }
}
