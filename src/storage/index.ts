import type { Config } from '../config';
import type { Storage, StoreCallListener } from '../ports';
import { createAwsStorage } from './aws';
import { createEmbeddedStorage } from './embedded';

export interface StorageOptions {
  /** Told of every backend call (ports.ts StoreCall): each statement, command and file operation. */
  onCall?: StoreCallListener;
}

/** The one place that picks a backend. */
export async function createStorage(config: Config, options: StorageOptions = {}): Promise<Storage> {
  const { onCall } = options;
  if (config.storage.backend === 'aws') {
    return createAwsStorage(config.storage.aws, { timeoutMs: config.storeTimeoutMs, onCall });
  }
  return createEmbeddedStorage({ dataDir: config.dataDir, timeoutMs: config.storeTimeoutMs, onCall });
}
