import { FerryError } from '../util/index.js';

export class ContentNotThereError extends FerryError {
  constructor(remote: string, key: string) {
    super(`${remote} does not have the content of ${key}`, { data: { remote, key } });
  }
}

export class RemoteUnavailableError extends FerryError {
  constructor(remote: string, reason: string) {
    super(`remote ${remote} is not available: ${reason}`, { data: { remote, reason } });
  }
}
