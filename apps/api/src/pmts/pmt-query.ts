import { BadRequestException } from '@nestjs/common';
import { isCommissioned, type Detector } from '@cicenns/model';
import { z } from 'zod';
import {
  GROUPINGS,
  PMT_STATES,
  type GroupSummary,
  type Grouping,
  type PmtState,
  type PmtStates,
} from './pmt-states';

/** The largest page of /api/pmts and /api/groups (about 1.3 MB of PMT views). */
export const MAX_PAGE = 1000;
/** Ids in one `pmts=` / `parent=` / `crate=` list. */
const MAX_LIST = 1000;

/** "a,b,c" -> ['a','b','c'] (a repeated parameter is refused: zod sees an array, not a string). */
const list = <T extends z.ZodType<string, string>>(item: T, what: string) =>
  z
    .string()
    .max(MAX_LIST * 80)
    .transform((s) => s.split(',').filter((x) => x !== ''))
    .pipe(z.array(item).min(1, `at least one ${what}`).max(MAX_LIST, `at most ${MAX_LIST} ${what}s`));
const id = z.string().max(80);
const count = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,7}$/, 'a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

/** Which PMTs: every given parameter must hold (a comma list: any of its values). */
export const pmtFilterShape = {
  /** crystal or veto tubes */
  group: z.enum(['crystal', 'veto']).optional(),
  /** crystals or panels by id */
  parent: list(id, 'crystal or panel id').optional(),
  /** HV crates (devices) by id */
  crate: list(id, 'HV crate id').optional(),
  /** PMT ids */
  pmts: list(id, 'PMT id').optional(),
  /** the PMT's state (see /api/groups) */
  state: list(z.enum(PMT_STATES), 'state').optional(),
  /** ids beginning with this */
  prefix: z.string().min(1).max(80).optional(),
  commissioned: z
    .enum(['true', 'false'])
    .transform((s) => s === 'true')
    .optional(),
};
export const pmtFilterSchema = z.object(pmtFilterShape).strict();
export type PmtFilter = z.infer<typeof pmtFilterSchema>;

const pageShape = {
  limit: count(1, MAX_PAGE).optional(),
  offset: count(0, 10_000_000).optional(),
};
export const pmtsQuerySchema = z.object({ ...pmtFilterShape, ...pageShape }).strict();
export type PmtsQuery = z.infer<typeof pmtsQuerySchema>;

export const groupsQuerySchema = z
  .object({ by: z.enum(GROUPINGS).optional(), state: pmtFilterShape.state, ...pageShape })
  .strict();
export type GroupsQuery = z.infer<typeof groupsQuerySchema>;

export interface Page<T> {
  items: T[];
  total: number;
  offset: number;
  limit: number;
}

/**
 * A filter as a test on PMT indices, the unknown ids it names refused with a 400 naming the
 * parameter. `now` is for `commissioned` (the calibration in force).
 */
export function compileFilter(
  f: PmtFilter,
  states: PmtStates,
  detector: Detector,
  now = Date.now(),
): { test: (i: number) => boolean; candidates: () => Iterable<number> } {
  const groupsOf = (by: Grouping, ids: string[] | undefined, param: string) => {
    if (!ids) return undefined;
    const g = states.grouping(by);
    return new Set(
      ids.map((x) => {
        const k = g.byId.get(x);
        if (k === undefined || (by === 'parent' && g.members[k] === undefined))
          throw new BadRequestException(
            `${param}: no ${param === 'crate' ? 'HV crate' : 'crystal or panel'} "${x}" in the detector inventory`,
          );
        return k;
      }),
    );
  };
  const parents = groupsOf('parent', f.parent, 'parent');
  const crates = groupsOf('crate', f.crate, 'crate');
  const kind = f.group === undefined ? undefined : states.grouping('kind').byId.get(f.group);
  const pmts = f.pmts?.map((x) => {
    const i = states.index.get(x);
    if (i === undefined) throw new BadRequestException(`pmts: no PMT "${x}" in the detector inventory`);
    return i;
  });
  const wanted = f.state ? new Set<PmtState>(f.state) : undefined;
  const parentOf = states.grouping('parent').groupOf;
  const crateOf = states.grouping('crate').groupOf;
  const kindOf = states.grouping('kind').groupOf;
  const pmtSet = pmts && new Set(pmts);
  const test = (i: number) =>
    (!pmtSet || pmtSet.has(i)) &&
    (kind === undefined ? f.group === undefined : kindOf[i] === kind) &&
    (!parents || parents.has(parentOf[i])) &&
    (!crates || crates.has(crateOf[i])) &&
    (!wanted || wanted.has(states.state(i))) &&
    (f.prefix === undefined || states.ids[i].startsWith(f.prefix)) &&
    (f.commissioned === undefined ||
      isCommissioned(detector.currentCalibration(states.ids[i], now)) === f.commissioned);
  // walk the smallest set that can hold the answer, in inventory order
  const candidates = (): Iterable<number> => {
    if (pmts) return [...new Set(pmts)].sort((a, b) => a - b);
    const from = (by: Grouping, ks: Set<number> | undefined) =>
      ks && [...ks].flatMap((k) => states.grouping(by).members[k]).sort((a, b) => a - b);
    return (
      from('parent', parents) ??
      from('crate', crates) ??
      (kind !== undefined ? states.grouping('kind').members[kind] : range(states.size))
    );
  };
  return { test, candidates };
}

function* range(n: number): Iterable<number> {
  for (let i = 0; i < n; i++) yield i;
}

/** One page of the PMTs that pass the filter (inventory order) and how many pass in all. */
export function selectPmts(
  q: PmtsQuery,
  states: PmtStates,
  detector: Detector,
  now = Date.now(),
): Page<number> {
  const { test, candidates } = compileFilter(q, states, detector, now);
  const offset = q.offset ?? 0;
  const limit = q.limit ?? MAX_PAGE;
  const items: number[] = [];
  let total = 0;
  for (const i of candidates()) {
    if (!test(i)) continue;
    if (total >= offset && items.length < limit) items.push(i);
    total++;
  }
  return { items, total, offset, limit };
}

/** One page of a grouping's summaries, optionally only the groups whose worst state is in `state`. */
export function selectGroups(q: GroupsQuery, states: PmtStates): Page<GroupSummary> {
  const by = q.by ?? 'crate';
  const offset = q.offset ?? 0;
  const limit = q.limit ?? MAX_PAGE;
  const g = states.grouping(by);
  if (!q.state) {
    // no filter: only the page's summaries are built (22,500 crystals and panels at 45,000 PMTs)
    const items: GroupSummary[] = [];
    for (let k = offset; k < Math.min(g.ids.length, offset + limit); k++) items.push(g.summary(k));
    return { items, total: g.ids.length, offset, limit };
  }
  const wanted = new Set<PmtState>(q.state);
  const all = states.groups(by).filter((s) => wanted.has(s.worst));
  return { items: all.slice(offset, offset + limit), total: all.length, offset, limit };
}
