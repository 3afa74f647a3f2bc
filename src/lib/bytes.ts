/**
 * A size as people read it: whole KB below a megabyte (at least 1 KB), else MB with one decimal
 * when it has one ("1.5 MB", "10 MB"). public/js/upload.js writes sizes the same way.
 */
export function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${Math.max(1, Math.round(bytes / 1024))} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, '')} MB`;
}
