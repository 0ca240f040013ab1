// What initremote, enableremote and renameremote print: git-annex's one line per command, or its JSON shape.
import type { ConfiguredRemote } from '../../remotes/index.js';
import { specialTypeParams } from '../../remotes/index.js';
import type { Output } from './output.js';

export function reportConfigured(out: Output, command: string, input: readonly string[], r: ConfiguredRemote): void {
  if (out.json) {
    out.record({ command, input, success: true, 'error-messages': [], file: null, name: r.name, uuid: r.uuid, type: r.type, encryption: r.encryption });
    return;
  }
  const setup = command === 'initremote' && r.encryption === 'shared' ? ' (encryption setup) (shared cipher)' : '';
  out.line(`${command} ${r.name}${setup} ok`);
}

/** The parameters of every type, for --help. */
export function remoteTypeHelp(): string {
  const lines: string[] = [];
  for (const { type, params } of specialTypeParams()) {
    lines.push(type === 'every type' ? 'every type:' : `type=${type}:`);
    for (const p of params) lines.push(`  ${p.name}=  ${p.help}${p.required ? ' (required)' : ''}${p.default !== undefined ? ` (default ${p.default})` : ''}`);
  }
  return lines.join('\n');
}
