// Command-line options, declared once per command (name, kind, help) so parsing and --help come from the
// same table. Accepts --name, --name=value, --name value, -J4 / -J 4, and `--` to end options.
import { UsageError } from '../util/index.js';

export interface OptionSpec {
  readonly name: string;
  readonly kind: 'boolean' | 'string' | 'number';
  readonly short?: string;
  readonly help: string;
  /** Shown in help as --name=VALUE. */
  readonly value?: string;
}

export interface ParsedArgs {
  /** Each option's value; for one given twice, the last. */
  readonly options: ReadonlyMap<string, string | boolean | number>;
  /** Every value of each string option, in order (`--via A --via B`). */
  readonly repeated?: ReadonlyMap<string, readonly string[]>;
  readonly positional: readonly string[];
}

export function parseArgs(argv: readonly string[], specs: readonly OptionSpec[], command: string): ParsedArgs {
  const options = new Map<string, string | boolean | number>();
  const repeated = new Map<string, string[]>();
  const positional: string[] = [];
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    let spec: OptionSpec | undefined;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq < 0 ? undefined : arg.slice(eq + 1);
      spec = byName.get(name);
      if (!spec) throw new UsageError(`ferry ${command}: unknown option --${name}`, `run 'ferry ${command} --help' for its options`);
    } else if (arg.startsWith('-') && arg.length > 1) {
      spec = byShort.get(arg[1]!);
      if (!spec) throw new UsageError(`ferry ${command}: unknown option ${arg}`, `run 'ferry ${command} --help' for its options`);
      if (arg.length > 2) inline = arg.slice(2);
    } else {
      positional.push(arg);
      continue;
    }
    if (spec.kind === 'boolean') {
      if (inline !== undefined) throw new UsageError(`ferry ${command}: --${spec.name} takes no value`);
      options.set(spec.name, true);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`ferry ${command}: --${spec.name} needs a value`);
    if (spec.kind === 'number') {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 0) throw new UsageError(`ferry ${command}: --${spec.name}: expected a whole number, got '${value}'`);
      options.set(spec.name, n);
    } else {
      options.set(spec.name, value);
      repeated.set(spec.name, [...(repeated.get(spec.name) ?? []), value]);
    }
  }
  return { options, repeated, positional };
}

export function optionHelp(specs: readonly OptionSpec[]): string {
  const rows = specs.map((s) => {
    const flag = `${s.short ? `-${s.short}, ` : '    '}--${s.name}${s.kind === 'boolean' ? '' : `=${s.value ?? (s.kind === 'number' ? 'N' : 'VALUE')}`}`;
    return [flag, s.help] as const;
  });
  const width = Math.max(0, ...rows.map(([f]) => f.length));
  return rows.map(([f, h]) => `  ${f.padEnd(width)}  ${h}`).join('\n');
}
