import type { ReportReason } from '../domain/types';

/** Both backends join a group's reasons with commas: "spam,spam,other" → { spam: 2, other: 1 }. */
export function countReasons(list: string): Partial<Record<ReportReason, number>> {
  const counts: Partial<Record<ReportReason, number>> = {};
  for (const reason of list.split(',').filter(Boolean) as ReportReason[])
    counts[reason] = (counts[reason] ?? 0) + 1;
  return counts;
}
