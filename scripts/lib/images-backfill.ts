import type { PhotoStore } from '../../src/ports';
import type { PhotoService } from '../../src/services/photo.service';

export interface BackfillReport {
  seen: number;
  made: number;
  failed: number;
}

/**
 * Walks every photo (the All feed, newest first, a page at a time) and gives each one stored
 * before the medium size existed its medium image and sharper thumbnail. A photo counts as done
 * once its record names its medium image, so the walk can stop anywhere (a crash, Ctrl-C) and a
 * second run only does what is left. A photo that fails (its file is damaged or gone) is
 * reported and skipped; the others go on.
 */
export async function backfillImages(
  c: { photos: PhotoStore; service: PhotoService },
  log: (line: string) => void = () => undefined,
  pageSize = 100,
): Promise<BackfillReport> {
  const report: BackfillReport = { seen: 0, made: 0, failed: 0 };
  let before: string | undefined;
  do {
    const page = await c.photos.listAll({ limit: pageSize, ...(before ? { before } : {}) });
    for (const photo of page.items) {
      report.seen++;
      if (photo.keys.medium !== null) continue;
      try {
        if (await c.service.backfillImages(photo)) report.made++;
      } catch (err) {
        report.failed++;
        log(`photo ${photo.id}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    log(`${report.seen} photos looked at, ${report.made} given new sizes, ${report.failed} failed`);
    before = page.next ?? undefined;
  } while (before);
  return report;
}
