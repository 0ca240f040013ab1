// Sizes as people write them ("100kb", "0.5 GiB", "100 KiloBytes") and as git-annex prints them
// ("13 bytes", "84.3 gigabytes"): decimal units are powers of 1000, binary ones powers of 1024.

const UNITS: [RegExp, number][] = [
  [/^(b|bytes?)$/, 1],
  [/^(k|kb|kilobytes?)$/, 1e3], [/^(m|mb|megabytes?)$/, 1e6], [/^(g|gb|gigabytes?)$/, 1e9],
  [/^(t|tb|terabytes?)$/, 1e12], [/^(p|pb|petabytes?)$/, 1e15], [/^(e|eb|exabytes?)$/, 1e18],
  [/^(kib|kibibytes?)$/, 2 ** 10], [/^(mib|mebibytes?)$/, 2 ** 20], [/^(gib|gibibytes?)$/, 2 ** 30],
  [/^(tib|tebibytes?)$/, 2 ** 40], [/^(pib|pebibytes?)$/, 2 ** 50], [/^(eib|exbibytes?)$/, 2 ** 60],
];

/** Bytes in `text`, or undefined when it is not a size. Case does not matter; a bare number is bytes. */
export function parseSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-zA-Z]*)\s*$/.exec(text);
  if (!m) return undefined;
  const value = Number(m[1]);
  const unit = m[2]!.toLowerCase();
  if (unit === '') return Math.round(value);
  const found = UNITS.find(([re]) => re.test(unit));
  return found ? Math.round(value * found[1]) : undefined;
}

const NAMES: [number, string][] = [
  [1e18, 'exabytes'], [1e15, 'petabytes'], [1e12, 'terabytes'], [1e9, 'gigabytes'], [1e6, 'megabytes'], [1e3, 'kilobytes'],
];

/** A size rounded to two decimals with trailing zeros dropped, as git-annex's roughSize shows it (1049 → 1.05). */
function twoDecimals(value: number): string {
  return String(Math.round(value * 100) / 100);
}

/** git-annex's roughSize in decimal units: "13 bytes", "1 kilobyte", "84.32 gigabytes". */
export function formatSize(bytes: number): string {
  for (const [unit, name] of NAMES) {
    if (bytes >= unit) {
      const shown = twoDecimals(bytes / unit);
      return `${shown} ${shown === '1' ? name.slice(0, -1) : name}`;
    }
  }
  return `${bytes} ${bytes === 1 ? 'byte' : 'bytes'}`;
}

const SHORT: [number, string][] = [[1e18, 'EB'], [1e15, 'PB'], [1e12, 'TB'], [1e9, 'GB'], [1e6, 'MB'], [1e3, 'kB']];

/** The short form git-annex's examinekey prints: "2 B", "1.5 kB", "4.1 kB", "3 MB". */
export function formatSizeShort(bytes: number): string {
  for (const [unit, name] of SHORT) {
    if (bytes >= unit) return `${twoDecimals(bytes / unit)} ${name}`;
  }
  return `${bytes} B`;
}
