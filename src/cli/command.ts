// What a command module exports: its name, a one-line summary, usage, its options and run().
// Commands parse and present; the work is done by the layers below (STYLE: cli/ has no logic of its own).
import type { OptionSpec, ParsedArgs } from './args.js';
import type { Output } from './output/output.js';

export interface CommandContext {
  readonly out: Output;
  readonly cwd: string;
}

export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Arguments after the command name, e.g. "[PATH ...]". */
  readonly usage: string;
  /** Longer help shown by `ferry help NAME`. */
  readonly description?: string;
  readonly options: readonly OptionSpec[];
  /** Returns the exit status (0 when omitted). */
  run(args: ParsedArgs, ctx: CommandContext): Promise<number | void>;
}

export const jsonOption: OptionSpec = { name: 'json', kind: 'boolean', help: 'one JSON object per line, in git-annex\'s shape' };
