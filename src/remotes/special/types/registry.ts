// remote.log's `type=` → the type that handles it: a literal map (STYLE 9), no registration by import.
import { directoryType } from './directory.js';
import { s3Type } from './s3.js';
import { COMMON_PARAMS } from '../config.js';
import type { ParamSpec } from '../config.js';
import type { SpecialType } from './type.js';

const TYPES: ReadonlyMap<string, SpecialType> = new Map([
  [directoryType.name, directoryType],
  [s3Type.name, s3Type],
]);

/** The type named `name`, or undefined when ferry does not support it (yet). */
export function specialType(name: string): SpecialType | undefined {
  return TYPES.get(name);
}

export function specialTypeNames(): string[] {
  return [...TYPES.keys()];
}

/** Every type's parameters (the common ones first), for help text. */
export function specialTypeParams(): { type: string; params: readonly ParamSpec[] }[] {
  return [{ type: 'every type', params: COMMON_PARAMS }, ...[...TYPES.values()].map((t) => ({ type: t.name, params: t.params }))];
}
