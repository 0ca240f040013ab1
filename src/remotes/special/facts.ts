// What `ferry info REMOTE` says about a special remote enabled here, in git-annex's words and order: its
// cost, type, where it is, its encryption and chunking. Secrets (the cipher, credentials) never appear.
import type { Annex } from '../../annex/index.js';
import { formatSize } from '../../util/index.js';
import { chunkSizeOf } from './config.js';
import { enabledSpecialRemotes, specialRemoteCost } from './open.js';
import type { EnabledSpecial } from './open.js';
import { specialRemoteRecords } from './remote-log.js';
import { specialType } from './types/registry.js';

export interface RemoteFacts {
  readonly name: string;
  readonly uuid: string;
  /** [label, value] in git-annex's order: cost, type, location, encryption, chunking. */
  readonly fields: readonly (readonly [string, string])[];
}

/** The facts of special remote `name` enabled here, or undefined when no such remote is enabled. */
export async function specialRemoteFacts(annex: Annex, name: string): Promise<RemoteFacts | undefined> {
  const enabled = enabledSpecialRemotes(annex).find((e) => e.name === name || e.uuid === name);
  if (!enabled) return undefined;
  const config = (await specialRemoteRecords(annex)).find((r) => r.uuid === enabled.uuid)?.config;
  return config && specialFactsOf(annex, enabled, config);
}

/** The facts of the special remote enabled here as `enabled`, from its remote.log `config`. */
export function specialFactsOf(annex: Annex, enabled: EnabledSpecial, config: ReadonlyMap<string, string>): RemoteFacts {
  const gitConfig = annex.repo.config;
  const typeName = config.get('type') ?? '?';
  const type = specialType(typeName);
  const encrypted = (config.get('encryption') ?? 'none') !== 'none';
  const fields: [string, string][] = [];
  if (type) fields.push(['cost', specialRemoteCost(annex, enabled.name, type, encrypted).toFixed(1)]);
  fields.push(['type', typeName]);
  if (typeName === 'directory') fields.push(['directory', gitConfig.get(`remote.${enabled.name}.annex-directory`) ?? '?']);
  if (typeName === 'S3') {
    fields.push(['bucket', config.get('bucket') ?? '?'], ['endpoint', `${config.get('protocol') ?? 'http'}://${config.get('host') ?? '?'}:${config.get('port') ?? '80'}`]);
    if (config.get('fileprefix')) fields.push(['fileprefix', config.get('fileprefix')!]);
  }
  const encryption = config.get('encryption') ?? 'none';
  fields.push(['encryption', encryption === 'shared' ? 'shared (encryption key stored in git repository)' : encryption]);
  const chunk = chunkSizeOf(config);
  fields.push(['chunking', chunk === undefined ? 'none' : `${formatSize(chunk)} chunks`]);
  return { name: enabled.name, uuid: enabled.uuid, fields };
}
