/**
 * The reference section of docs/PROFILES.md, generated from the profile schema (profileSchema's
 * `.describe()` texts, types, defaults and bounds), so the document cannot drift from what is
 * accepted. `npm run docs:profiles` writes it; profile-doc.spec.ts fails when the committed
 * document differs.
 */
import type { ZodType } from 'zod';
import { profileSchema, registerSpecSchema } from './schemas';

export const BEGIN = '<!-- BEGIN GENERATED: npm run docs:profiles -->';
export const END = '<!-- END GENERATED -->';

interface Def {
  type: string;
  innerType?: ZodType;
  defaultValue?: unknown;
  entries?: Record<string, string>;
  element?: ZodType;
  valueType?: ZodType;
  checks?: { _zod: { def: { check: string; value?: number; inclusive?: boolean; format?: string } } }[];
  shape?: Record<string, ZodType>;
}

const defOf = (s: ZodType) => (s as unknown as { def: Def }).def;

/** Peel default/optional: what is left, its default, whether it may be left out. */
function unwrap(s: ZodType): { inner: ZodType; dflt?: unknown; optional: boolean } {
  let inner = s;
  let dflt: unknown;
  let optional = false;
  for (;;) {
    const d = defOf(inner);
    if (d.type === 'default' || d.type === 'prefault') {
      dflt = d.defaultValue;
      optional = true;
      inner = d.innerType!;
    } else if (d.type === 'optional') {
      optional = true;
      inner = d.innerType!;
    } else return { inner, dflt, optional };
  }
}

function typeText(s: ZodType): string {
  const d = defOf(s);
  switch (d.type) {
    case 'number': {
      const parts: string[] = [];
      let int = false;
      for (const c of d.checks ?? []) {
        const cd = c._zod.def;
        if (cd.check === 'number_format' && cd.format === 'safeint') int = true;
        if (cd.check === 'greater_than') parts.push(`${cd.inclusive ? '≥' : '>'} ${cd.value}`);
        if (cd.check === 'less_than') parts.push(`${cd.inclusive ? '≤' : '<'} ${cd.value}`);
      }
      return `${int ? 'integer' : 'number'}${parts.length ? ` ${parts.join(', ')}` : ''}`;
    }
    case 'enum':
      return `one of ${Object.values(d.entries ?? {})
        .map((v) => `\`${v}\``)
        .join(', ')}`;
    case 'array':
      return `list of ${typeText(unwrap(d.element!).inner)}`;
    case 'record':
      return `map of name -> ${defOf(unwrap(d.valueType!).inner).type === 'object' ? 'register (below)' : typeText(d.valueType!)}`;
    case 'object':
      return 'object (below)';
    default:
      return d.type;
  }
}

function rows(prefix: string, shape: Record<string, ZodType>): string[] {
  const out: string[] = [];
  for (const [key, s] of Object.entries(shape)) {
    const { inner, dflt, optional } = unwrap(s);
    const desc = (s.description ?? inner.description ?? '').replace(/\|/g, '\\|');
    const req =
      dflt !== undefined ? `default \`${JSON.stringify(dflt)}\`` : optional ? 'optional' : 'required';
    out.push(`| \`${prefix}${key}\` | ${typeText(inner)} | ${req} | ${desc} |`);
  }
  return out;
}

const shapeOf = (s: ZodType) => defOf(unwrap(s).inner).shape!;

/** Every key the schema accepts, as the document names it (for the test both ways). */
export function documentedKeys(): string[] {
  const top = shapeOf(profileSchema as unknown as ZodType);
  return [
    ...Object.keys(top),
    ...Object.keys(shapeOf(top.addressing)).map((k) => `addressing.${k}`),
    ...Object.keys(shapeOf(registerSpecSchema as unknown as ZodType)).map((k) => `registers.<name>.${k}`),
  ];
}

export function profileReference(): string {
  const top = shapeOf(profileSchema as unknown as ZodType);
  const head = ['| key | type | required / default | meaning |', '| --- | --- | --- | --- |'];
  return [
    BEGIN,
    '',
    '### Profile keys',
    '',
    ...head,
    ...rows('', top),
    '',
    '### `addressing`',
    '',
    ...head,
    ...rows('addressing.', shapeOf(top.addressing)),
    '',
    '### A register (`registers.<name>`)',
    '',
    ...head,
    ...rows('registers.<name>.', shapeOf(registerSpecSchema as unknown as ZodType)),
    '',
    END,
  ].join('\n');
}

/** The document with its generated section replaced by the current one. */
export function withReference(doc: string): string {
  const a = doc.indexOf(BEGIN);
  const b = doc.indexOf(END);
  if (a < 0 || b < a) throw new Error(`docs/PROFILES.md: markers ${BEGIN} ... ${END} not found`);
  return doc.slice(0, a) + profileReference() + doc.slice(b + END.length);
}
