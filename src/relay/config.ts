// The relay's command-line settings, parsed and checked with messages naming the flag: --listen HOST:PORT and
// the limits (limits.ts). Kept here, not in cli/, so the demo and tests start a relay from the same table.
import { FerryError, ExitCode } from '../util/index.js';
import { DEFAULT_LIMITS } from './limits.js';
import type { RelayLimits } from './limits.js';

/** The port `ferry relay` listens on when --listen names none. */
export const DEFAULT_RELAY_PORT = 7080;

export class RelayConfigError extends FerryError {
  constructor(message: string, hint?: string) {
    super(message, { hint: hint ?? "run 'ferry relay --help' for its options", exitCode: ExitCode.usage });
  }
}

/** "HOST:PORT", "HOST" (port 7080), ":PORT" (all interfaces) or "[IPv6]:PORT"; port 0 asks the OS for one. */
export function parseListen(value: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]*)\]|([^:[\]]*))(?::([^:]*))?$/.exec(value);
  if (!m) throw new RelayConfigError(`--listen: expected HOST:PORT, got '${value}'`);
  const host = m[1] ?? m[2] ?? '';
  const portText = m[3];
  if (m[1] !== undefined && host === '') throw new RelayConfigError(`--listen: empty IPv6 address in '${value}'`);
  let port = DEFAULT_RELAY_PORT;
  if (portText !== undefined) {
    if (!/^\d+$/.test(portText)) throw new RelayConfigError(`--listen: port '${portText}' is not a number`);
    port = Number(portText);
    if (port > 65535) throw new RelayConfigError(`--listen: port ${port} is out of range (0-65535)`);
  }
  return { host: host === '' ? '0.0.0.0' : host, port };
}

/** The command-line name, limit and help of each limit flag, so --help, parsing and docs agree. */
export const LIMIT_FLAGS: readonly { readonly flag: string; readonly key: keyof RelayLimits; readonly unit: 'count' | 'bytes' | 'ms' | 'hours'; readonly help: string }[] = [
  { flag: 'max-connections', key: 'maxConnections', unit: 'count', help: `open connections at most (default ${DEFAULT_LIMITS.maxConnections})` },
  { flag: 'max-channels', key: 'channelsPerConnection', unit: 'count', help: `channels per connection (default ${DEFAULT_LIMITS.channelsPerConnection})` },
  { flag: 'rate', key: 'ratePerSecond', unit: 'count', help: `messages per second per connection, sustained (default ${DEFAULT_LIMITS.ratePerSecond})` },
  { flag: 'burst', key: 'burst', unit: 'count', help: `messages per connection at once (default ${DEFAULT_LIMITS.burst})` },
  { flag: 'retain-channels', key: 'retainedChannels', unit: 'count', help: `channels whose notices are kept for late joiners (default ${DEFAULT_LIMITS.retainedChannels})` },
  { flag: 'retain-per-channel', key: 'retainedPerChannel', unit: 'count', help: `notices kept per channel (default ${DEFAULT_LIMITS.retainedPerChannel})` },
  { flag: 'retain-hours', key: 'retainMs', unit: 'hours', help: `hours a notice is kept (default ${DEFAULT_LIMITS.retainMs / 3_600_000})` },
  { flag: 'slow-consumer-bytes', key: 'slowConsumerBytes', unit: 'bytes', help: `unsent bytes after which a subscriber is dropped (default ${DEFAULT_LIMITS.slowConsumerBytes})` },
  { flag: 'max-memory-mb', key: 'maxMemoryBytes', unit: 'bytes', help: `resident MB above which new connections are refused (default ${DEFAULT_LIMITS.maxMemoryBytes / 1024 / 1024})` },
];

/** The limits set by flags (values already whole numbers from the argument parser); the rest keep defaults. */
export function limitsFromFlags(get: (flag: string) => number | undefined): Partial<RelayLimits> {
  const limits: Partial<Record<keyof RelayLimits, number>> = {};
  for (const { flag, key, unit } of LIMIT_FLAGS) {
    const v = get(flag);
    if (v === undefined) continue;
    if (v < 1 && key !== 'retainedChannels' && key !== 'retainedPerChannel') throw new RelayConfigError(`--${flag}: must be at least 1`);
    limits[key] = unit === 'hours' ? v * 3_600_000 : flag === 'max-memory-mb' ? v * 1024 * 1024 : v;
  }
  return limits;
}
