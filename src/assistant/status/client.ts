// Asking a running assistant's status server, as `ferry status` does: the port and token from the status
// file, the same API the page uses, plus `login-once` for a browser login URL.
import { request } from 'node:http';
import { FerryError } from '../../util/index.js';
import type { StatusResponse } from './snapshot.js';
import type { StatusFile } from './status-file.js';
import { readStatusFile, statusFilePath } from './status-file.js';

export class NoAssistantError extends FerryError {
  constructor(gitDir: string, detail: string) {
    super(`no assistant is running for this repository (${detail})`, { hint: "start one with 'ferry assistant'", data: { gitDir } });
  }
}

export class StatusClient {
  private constructor(
    readonly gitDir: string,
    readonly info: StatusFile,
  ) {}

  /** The running assistant of the repository at `gitDir`; NoAssistantError when there is none. */
  static async connect(gitDir: string): Promise<StatusClient> {
    const path = statusFilePath(gitDir);
    const info = await readStatusFile(path);
    if (info === undefined) throw new NoAssistantError(gitDir, `no ${path}`);
    return new StatusClient(gitDir, info);
  }

  status(): Promise<StatusResponse> {
    return this.#call('GET', '/api/status') as Promise<StatusResponse>;
  }

  /** A URL that logs a browser in once. */
  async loginUrl(): Promise<string> {
    const { url } = (await this.#call('POST', '/api/login-once')) as { url: string };
    return url;
  }

  #call(method: string, path: string): Promise<unknown> {
    const { port, token, pid } = this.info;
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method, path, agent: false, headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (b: Buffer) => chunks.push(b));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200) reject(new FerryError(`the assistant's status server answered ${res.statusCode}: ${text.trim()}`));
          else {
            try {
              resolve(JSON.parse(text));
            } catch {
              reject(new FerryError(`the assistant's status server answered with something that is not JSON: ${text.slice(0, 80)}`));
            }
          }
        });
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        // A status file whose server is gone: left by an assistant that was killed.
        if (err.code === 'ECONNREFUSED') reject(new NoAssistantError(this.gitDir, `the status file names port ${port} of process ${pid}, which is not listening: it was left by an assistant that stopped`));
        else reject(err);
      });
      req.end();
    });
  }
}
