import type { Config } from '../config';
import type { Storage } from '../ports';
import { createAwsStorage } from './aws';
import { createEmbeddedStorage } from './embedded';

/** The one place that picks a backend. */
export async function createStorage(config: Config): Promise<Storage> {
  if (config.storage.backend === 'aws') return createAwsStorage(config.storage.aws, config.storeTimeoutMs);
  return createEmbeddedStorage({ dataDir: config.dataDir, timeoutMs: config.storeTimeoutMs });
}
