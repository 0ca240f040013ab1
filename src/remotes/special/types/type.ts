// What a special remote type declares once (STYLE 9, 10): its parameters, its cost, how it names objects,
// and how to open its Store from a remote's configuration. The registry (registry.ts) maps remote.log's
// `type=` to one of these.
import type { Store } from '../../store/index.js';
import type { ParamSpec } from '../config.js';
import type { ObjectLayout } from '../layout.js';

export interface TypeContext {
  /** The special remote's name and uuid. */
  readonly name: string;
  readonly uuid: string;
  /** The repository's .git directory (for git-annex's credential files). */
  readonly gitDir: string;
  /** The remote's parameters: remote.log's, with this clone's local ones (from git config or the command line). */
  readonly config: ReadonlyMap<string, string>;
}

export interface SpecialType {
  /** As remote.log writes it (`directory`, `S3`). */
  readonly name: string;
  readonly params: readonly ParamSpec[];
  /** git-annex's cost for this type, before the +50 of an encrypted remote (Config/Cost.hs). */
  readonly baseCost: number;
  readonly layout: ObjectLayout;
  /**
   * What enableremote writes besides the local parameters, as remote.NAME.annex-KEY: git-annex finds a
   * special remote of this type in git config by it (S3: annex-s3=true; a directory remote's
   * annex-directory is its path, a local parameter).
   */
  readonly gitConfig?: ReadonlyMap<string, string>;
  /** Fills in what git-annex stores when a parameter is absent (S3: bucket, host, ...). */
  defaults?(config: Map<string, string>, ctx: { name: string; uuid: string }): void;
  openStore(ctx: TypeContext): Promise<Store>;
  /** initremote's set-up of the medium (S3: the bucket and its annex-uuid marker); checks it is reachable. */
  prepare?(ctx: TypeContext): Promise<void>;
  /** enableremote's check that the medium is this remote's (S3: the marker holds this uuid). */
  verify?(ctx: TypeContext): Promise<void>;
  /**
   * remote.log fields holding credentials (S3: s3creds with embedcreds=yes), computed at initremote
   * (`initial`) and enableremote before the medium is touched; empty when nothing is to change.
   */
  embedCredentials?(ctx: TypeContext, initial: boolean): Promise<ReadonlyMap<string, string>>;
}
