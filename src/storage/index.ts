import type { Config } from '../config';
import type { Storage, StoreCallListener } from '../ports';

export interface StorageOptions {
  /** Told of every backend call (ports.ts StoreCall): each statement, command and file operation. */
  onCall?: StoreCallListener;
}

/**
 * The one place that picks a backend. Each backend is loaded only when chosen: a worker on the
 * embedded backend never loads the AWS SDK or mysql2 (and an aws one never loads SQLite), which
 * keeps tens of megabytes out of every worker's memory.
 */
export async function createStorage(config: Config, options: StorageOptions = {}): Promise<Storage> {
  const { onCall } = options;
  if (config.storage.backend === 'aws') {
    const { createAwsStorage } = await import('./aws/index.js');
    return createAwsStorage(config.storage.aws, { timeoutMs: config.storeTimeoutMs, onCall });
  }
  const { createEmbeddedStorage } = await import('./embedded/index.js');
  return createEmbeddedStorage({ dataDir: config.dataDir, timeoutMs: config.storeTimeoutMs, onCall });
}
