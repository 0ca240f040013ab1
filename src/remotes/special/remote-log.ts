// Special remotes as the git-annex branch records them: remote.log (each remote's parameters, §3.2, §5.1, §7)
// and uuid.log (their descriptions). Finding one by what a user types: its name=, its uuid or its description.
import type { Annex } from '../../annex/index.js';
import { currentClock, currentUuidValues, parseRemoteConfig, parseUuidLog, renderRemoteConfig, renderUuidLog, setUuidValue } from '../../annex/index.js';
import { FerryError } from '../../util/index.js';

export interface SpecialRemoteRecord {
  readonly uuid: string;
  readonly config: ReadonlyMap<string, string>;
}

export class UnknownSpecialRemoteError extends FerryError {
  constructor(name: string, known: readonly string[]) {
    super(`there is no special remote named ${name}`, {
      data: { name, known },
      hint: known.length > 0 ? `the known ones: ${known.join(', ')}` : "create one with 'ferry initremote NAME type=… encryption=…'",
    });
  }
}

/** Every special remote remote.log knows, newest configuration of each. */
export async function specialRemoteRecords(annex: Annex): Promise<SpecialRemoteRecord[]> {
  const log = currentUuidValues(parseUuidLog(await annex.branch.get('remote.log')));
  return [...log.values()].map((e) => ({ uuid: e.uuid, config: parseRemoteConfig(e.value) }));
}

/**
 * The special remote `name` denotes, as git-annex's enableremote finds it: its remote.log name=, else its
 * uuid, else its description in uuid.log. Throws UnknownSpecialRemoteError listing the names there are.
 */
export async function findSpecialRemote(annex: Annex, name: string): Promise<SpecialRemoteRecord> {
  const records = await specialRemoteRecords(annex);
  const byName = records.find((r) => r.config.get('name') === name) ?? records.find((r) => r.uuid === name);
  if (byName) return byName;
  const descriptions = currentUuidValues(parseUuidLog(await annex.branch.get('uuid.log')));
  const byDescription = records.find((r) => descriptions.get(r.uuid)?.value === name);
  if (byDescription) return byDescription;
  throw new UnknownSpecialRemoteError(name, records.map((r) => r.config.get('name')).filter((n): n is string => n !== undefined));
}

/** Records a special remote's configuration in remote.log (journalled; the caller commits). */
export async function writeSpecialConfig(annex: Annex, uuid: string, config: ReadonlyMap<string, string>, description?: string): Promise<void> {
  const changes = new Map<string, (old: string) => string>([
    ['remote.log', (old) => renderUuidLog(setUuidValue(parseUuidLog(old), uuid, renderRemoteConfig(config), currentClock()))],
  ]);
  if (description !== undefined) {
    changes.set('uuid.log', (old) => renderUuidLog(setUuidValue(parseUuidLog(old), uuid, description, currentClock())));
  }
  await annex.branch.change(changes);
}
