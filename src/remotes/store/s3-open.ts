// The S3 backend is loaded only when an S3 remote is used: importing the AWS SDK costs about 250 ms, which
// every other ferry command would otherwise pay at start-up.
import type { S3Store, S3StoreOptions } from './s3.js';

export async function openS3Store(opts: S3StoreOptions): Promise<S3Store> {
  // The SDK warns on every run that its 2027 releases will need node 22; ferry pins its version (package-lock),
  // so the warning only confuses users. Its documented switch turns it off.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { S3Store: Store } = await import('./s3.js');
  return new Store(opts);
}
