import { z } from 'zod';

/** Bounds of one notice: a refused message must not make a large one. */
export const NOTICE_LIMITS = { topic: 200, reason: 64, detail: 500 } as const;

/**
 * What the intake says about one DAQ message it refused (a counted reject) or could not handle
 * (internal_error: set aside in its dead-letter table, `deadLetterId` names the row), on
 * cicenns/sc/intake/rejects. No payload: the dead-letter table has that, behind the host's login.
 */
export const rejectionNoticeSchema = z.object({
  ts: z.number().finite(),
  service: z.string().max(64),
  topic: z.string().max(NOTICE_LIMITS.topic),
  reason: z.string().max(NOTICE_LIMITS.reason),
  detail: z.string().max(NOTICE_LIMITS.detail),
  deadLetterId: z.number().int().optional(),
});
export type RejectionNotice = z.infer<typeof rejectionNoticeSchema>;

/** Cut a string to `max` characters, marking the cut. */
export function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** A notice within its bounds, whatever came in (a 30 KB topic, a 1 MB error message). */
export function rejectionNotice(n: RejectionNotice): RejectionNotice {
  return {
    ts: n.ts,
    service: truncate(n.service, 64),
    topic: truncate(n.topic, NOTICE_LIMITS.topic),
    reason: truncate(n.reason, NOTICE_LIMITS.reason),
    detail: truncate(n.detail, NOTICE_LIMITS.detail),
    ...(n.deadLetterId !== undefined && { deadLetterId: n.deadLetterId }),
  };
}
