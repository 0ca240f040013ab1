// The parameters of a special remote, declared once (STYLE 10): git-annex's names, which are stored in
// remote.log (every clone sees them) and which stay local (git config of the clone that gives them), their
// defaults as git-annex stores them, and validation whose messages start with the parameter's name.
import { UsageError, parseSize } from '../../util/index.js';

export interface ParamSpec {
  readonly name: string;
  readonly help: string;
  /** Kept in this clone's git config as remote.NAME.annex-NAME instead of remote.log (directory=). */
  readonly local?: boolean;
  /** Required at initremote (and, for local ones, at every enableremote). */
  readonly required?: boolean;
  /** Stored when not given, as git-annex stores it. */
  readonly default?: string;
  /** Why `value` is wrong, or undefined when it is fine. */
  check?(value: string): string | undefined;
}

export class BadRemoteConfigError extends UsageError {
  constructor(param: string, problem: string, hint?: string) {
    super(`${param}: ${problem}`, hint ?? "run 'ferry initremote --help' for the parameters of each type");
  }
}

export const MACS = ['HMACSHA1', 'HMACSHA224', 'HMACSHA256', 'HMACSHA384', 'HMACSHA512'] as const;

/** Parameters every special remote type takes (git-annex's common ones ferry supports). */
export const COMMON_PARAMS: readonly ParamSpec[] = [
  {
    name: 'encryption', required: true,
    help: 'none, or shared (a cipher kept in the git-annex branch: anyone with the repository can decrypt, the provider cannot)',
    check: (v) => {
      if (v === 'none' || v === 'shared') return undefined;
      if (['hybrid', 'pubkey', 'sharedpubkey'].includes(v)) return `encryption=${v} uses gpg keys and is not supported yet; use encryption=shared`;
      return `expected none or shared, got '${v}'`;
    },
  },
  {
    name: 'chunk', help: 'store files in chunks of this size (e.g. 8MiB): resumable transfers, bounded requests; 0 or absent stores whole',
    check: (v) => {
      const n = parseSize(v);
      if (n === undefined) return `expected a size such as 8MiB, got '${v}'`;
      return Number.isSafeInteger(n) ? undefined : `${v} is too large (at most 8 PiB)`;
    },
  },
  {
    name: 'mac', help: `the HMAC for encrypted object names: ${MACS.join(', ')} (default HMACSHA1)`,
    check: (v) => ((MACS as readonly string[]).includes(v) ? undefined : `expected one of ${MACS.join(', ')}, got '${v}'`),
  },
  {
    name: 'embedcreds', help: 'yes to store the credentials in the git-annex branch (encrypted with the cipher)',
    check: (v) => (['yes', 'no'].includes(v) ? undefined : `expected yes or no, got '${v}'`),
  },
  { name: 'autoenable', help: 'true to enable the remote in new clones automatically (git-annex init does)' },
];

/** Parameters git-annex has that ferry refuses with a reason rather than ignore. */
export const REFUSED_PARAMS: ReadonlyMap<string, string> = new Map([
  ['exporttree', 'exporttree remotes are not supported yet'],
  ['importtree', 'importtree remotes are not supported yet'],
  ['keyid', 'gpg key ids belong to hybrid/pubkey encryption, not supported yet; use encryption=shared'],
  ['chunksize', 'chunksize= is the legacy chunking, no longer written by git-annex; use chunk='],
]);

/** Fields ferry itself writes or reads back and never takes from a command line. */
export const MANAGED_PARAMS = new Set(['name', 'type', 'cipher', 'cipherkeys', 's3creds', 'timestamp']);

/** `key=value` words of a command line into a map; a word without `=` is refused. */
export function parseParamWords(words: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq <= 0) throw new UsageError(`expected param=value, got '${w}'`, "e.g. 'ferry initremote usb type=directory directory=/mnt/usb encryption=none'");
    out.set(w.slice(0, eq), w.slice(eq + 1));
  }
  return out;
}

/** Checks `given` against `specs`: unknown, refused and malformed parameters throw BadRemoteConfigError. */
export function checkParams(given: ReadonlyMap<string, string>, specs: readonly ParamSpec[], type: string): void {
  for (const [name, value] of given) {
    const refused = REFUSED_PARAMS.get(name);
    if (refused) throw new BadRemoteConfigError(name, refused);
    if (MANAGED_PARAMS.has(name)) throw new BadRemoteConfigError(name, 'is set by ferry, not on the command line');
    const spec = specs.find((s) => s.name === name);
    if (spec === undefined && !name.startsWith('x-amz-meta-')) {
      throw new BadRemoteConfigError(name, `not a parameter of type=${type} (known: ${specs.map((s) => s.name).join(', ')})`);
    }
    const problem = spec?.check?.(value);
    if (problem !== undefined) throw new BadRemoteConfigError(name, problem);
  }
}

/** The chunk size a stored config asks for, or undefined for whole objects. */
export function chunkSizeOf(config: ReadonlyMap<string, string>): number | undefined {
  const text = config.get('chunk');
  if (text === undefined) return undefined;
  const n = parseSize(text);
  // Beyond 2^53 a size has no exact Number, so chunk keys' -S fields would not match git-annex's.
  if (n !== undefined && !Number.isSafeInteger(n)) throw new BadRemoteConfigError('chunk', `${text} is too large (at most 8 PiB)`);
  return n === undefined || n <= 0 ? undefined : n;
}

/** A config for printing: secrets replaced (the cipher, embedded credentials). */
export function redactConfig(config: ReadonlyMap<string, string>): Map<string, string> {
  const out = new Map(config);
  for (const secret of ['cipher', 's3creds']) if (out.has(secret)) out.set(secret, '(secret, not shown)');
  return out;
}
