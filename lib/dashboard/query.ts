/**
 * The dashboard data endpoints' contract: `GET /dashboard/data/{figure}?from=&to=&granularity=&limit=&risk=`, and
 * `GET /dashboard/data/me` (the key's person and role).
 * Unknown parameters are refused, dates are real calendar days, and a period is at most ten years.
 */
import { z } from 'zod';
import { FIGURES, GRANULARITIES, RISKS } from '../analytics/figures.js';

const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'expects a date YYYY-MM-DD' })
  .refine(
    (v) => {
      const d = new Date(`${v}T00:00:00Z`);
      return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v;
    },
    { message: 'expects a real calendar date YYYY-MM-DD' },
  );

const MAX_DAYS = 3660;

/** Not a figure: who the key is (`me`), which the page needs to offer a case's actions. */
const PAGE_FIGURES = [...FIGURES, 'me'] as const;

export const figurePathSchema = z.strictObject({
  figure: z.enum(PAGE_FIGURES, { message: `expects one of ${PAGE_FIGURES.join(', ')}` }),
});

export const figureQuerySchema = z
  .strictObject(
    {
      from: day.optional(),
      to: day.optional(),
      granularity: z
        .enum(GRANULARITIES, { message: `expects one of ${GRANULARITIES.join(', ')}` })
        .default('week'),
      limit: z
        .string()
        .regex(/^\d{1,2}$/, { message: 'expects a whole number from 1 to 50' })
        .transform(Number)
        .refine((n) => n >= 1 && n <= 50, { message: 'expects a whole number from 1 to 50' })
        .default(10),
      risk: z.enum(RISKS, { message: `expects one of ${RISKS.join(', ')}` }).optional(),
    },
    {
      error: (issue) =>
        issue.code === 'unrecognized_keys'
          ? 'unknown parameter(s); allowed: from, to, granularity, limit, risk'
          : undefined,
    },
  )
  .refine((q) => !(q.from && q.to && q.from > q.to), { message: 'must not be after to', path: ['from'] })
  .refine(
    (q) =>
      !(q.from && q.to) ||
      (Date.parse(`${q.to}T00:00:00Z`) - Date.parse(`${q.from}T00:00:00Z`)) / 86_400_000 <= MAX_DAYS,
    { message: `the period may span at most ${MAX_DAYS} days`, path: ['to'] },
  );
