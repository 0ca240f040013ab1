// Parses argv, dispatches to one command module (loaded on demand, so `ferry --version` stays fast), and
// maps errors to a message, a hint and an exit status. The only place that exits.
import { FerryError, ExitCode, errorMessage } from '../util/index.js';

export async function main(argv: string[]): Promise<void> {
  try {
    if (argv[0] === '--version' || argv[0] === 'version') {
      process.stdout.write('ferry 0.1.0\n');
      return;
    }
    throw new FerryError(`unknown command: ${argv[0] ?? ''}`, { exitCode: ExitCode.usage });
  } catch (err) {
    process.stderr.write(`ferry: ${errorMessage(err)}\n`);
    process.exit(err instanceof FerryError ? err.exitCode : ExitCode.internal);
  }
}
