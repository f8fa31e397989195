import { truncate } from '@cicenns/contracts';

/** Longest detail of a rejection or warning: a 30 KB topic or payload is never echoed whole. */
export const MAX_DETAIL_CHARS = 200;

/** `text`, cut to `max` characters with an ellipsis. */
export function clip(text: string, max = MAX_DETAIL_CHARS): string {
  return truncate(text, max);
}

/** A short description of an untrusted JSON value: numbers and short strings as they are. */
export function preview(value: unknown): string {
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return clip(JSON.stringify(clip(value, 40)), 44);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return typeof value === 'object' ? 'an object' : typeof value;
}
