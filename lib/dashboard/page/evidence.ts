/**
 * An alert's evidence in words, for the case page: one sentence per fact a rule recorded (lib/rules/*, each rule's
 * `evidence`), then how the risk was scored. A rule this file does not know yet, and any field a sentence does not
 * use, still shows as "label: value" lines, so nothing the rule recorded is hidden; the page keeps the raw JSON one
 * click away. Pure: no DOM, plain text (the caller escapes it).
 */

type Evidence = Record<string, unknown>;

const fmtNumber = new Intl.NumberFormat('en-GB', { maximumFractionDigits: 2 });

/** The value at a dotted path, or undefined. */
function at(e: Evidence, path: string): unknown {
  let v: unknown = e;
  for (const key of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Evidence)[key];
  }
  return v;
}

const num = (e: Evidence, path: string): number | undefined => {
  const v = at(e, path);
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
};
const str = (e: Evidence, path: string): string | undefined => {
  const v = at(e, path);
  return typeof v === 'string' ? v : undefined;
};
const n = (v: number | undefined) => (v === undefined ? '?' : fmtNumber.format(v));
const money = (v: number | undefined, currency: string | undefined) =>
  `${n(v === undefined ? undefined : Math.abs(v))}${currency ? ` ${currency}` : ''}`;
const times = (v: number | undefined) => `${n(v)}×`;
const pct = (v: number | undefined) => (v === undefined ? '?' : `${Math.round(v * 100)} %`);
const totals = (v: unknown) =>
  v && typeof v === 'object'
    ? Object.entries(v as Record<string, unknown>)
        .map(([currency, amount]) => money(Number(amount), currency))
        .join(' + ')
    : '?';
const span = (e: Evidence, prefix = '') => {
  const from = str(e, `${prefix}from`);
  const to = str(e, `${prefix}to`);
  return from && to ? (from === to ? ` at ${from}` : ` from ${from} to ${to}`) : '';
};
const plural = (count: number | undefined, one: string, many = `${one}s`) =>
  `${n(count)} ${count === 1 ? one : many}`;

/** client-baseline with too little history for robust statistics: judged against the population instead. */
function clientBaselineFallback(e: Evidence): string[] {
  return [
    `${money(num(e, 'amount'), str(e, 'currency'))} with only ${plural(num(e, 'baseline.debits'), 'past debit')} in ${n(num(e, 'baseline.lookbackDays'))} days — ${str(e, 'baseline.fallback')} (p95 ${n(num(e, 'thresholds.p95'))}, p99 ${n(num(e, 'thresholds.p99'))}).`,
    ...(num(e, 'ratioToLargest') !== undefined
      ? [`It is ${times(num(e, 'ratioToLargest'))} the largest of them (${n(num(e, 'baseline.largest'))}).`]
      : []),
  ];
}

/** One rule's sentences; each reads what that rule writes (see the rule's file in lib/rules/). */
const RULES: Record<string, (e: Evidence) => string[]> = {
  'high-amount': (e) => [
    `${money(num(e, 'amount'), str(e, 'currency'))} is above the ${str(e, 'percentile') ?? 'p95'} of ${n(num(e, 'thresholds.comparable'))} comparable ${str(e, 'direction') ?? ''} transactions (p95 ${n(num(e, 'thresholds.p95'))}, p99 ${n(num(e, 'thresholds.p99'))}, months ${str(e, 'thresholds.window.from') ?? '?'} to ${str(e, 'thresholds.window.to') ?? '?'}).`,
    ...(num(e, 'ownHistory.ratio') !== undefined
      ? [
          `It is ${times(num(e, 'ownHistory.ratio'))} the account's median debit of ${n(num(e, 'ownHistory.medianDebit'))} (over its last ${plural(num(e, 'ownHistory.debits'), 'debit')}).`,
        ]
      : []),
  ],
  'client-baseline': (e) =>
    str(e, 'baseline.fallback')
      ? clientBaselineFallback(e)
      : [
          `${money(num(e, 'amount'), str(e, 'currency'))} is ${times(num(e, 'ratioToMedian'))} the client's median debit of ${n(num(e, 'baseline.median'))} and ${times(num(e, 'ratioToLargest'))} their largest (${n(num(e, 'baseline.largest'))}), over ${plural(num(e, 'baseline.debits'), 'debit')} in ${n(num(e, 'baseline.lookbackDays'))} days (robust z-score ${n(num(e, 'robustZ'))}, threshold ${n(num(e, 'thresholds.zThreshold'))}).`,
        ],
  'unusual-location': (e) => [
    `${money(num(e, 'amount'), str(e, 'currency'))} paid to ${str(e, 'recipientCountry') ?? '?'} (${str(e, 'recipient') ?? 'recipient unknown'}); the client lives in ${str(e, 'clientCountry') ?? '?'}.`,
    `Countries the client paid before: ${(at(e, 'countriesUsed') as string[] | undefined)?.join(', ') || 'none'}${at(e, 'habitual') === true ? ' (a habitual destination)' : ''}.`,
    ...(at(e, 'large') === true
      ? [
          `Large for this client: their median debit is ${n(num(e, 'clientMedianDebit'))}, their largest ${n(num(e, 'clientLargestDebit'))}.`,
        ]
      : []),
    ...(((at(e, 'countryRiskLists') as string[] | undefined) ?? []).length > 0
      ? [`The country is on: ${(at(e, 'countryRiskLists') as string[]).join(', ')}.`]
      : []),
  ],
  velocity: (e) => [
    `${plural(num(e, 'payments'), 'payment')} worth ${n(num(e, 'totalEur'))} EUR within ${str(e, 'window.name') ?? '?'}${span(e, 'window.')}.`,
    `Usual for this client: ${plural(num(e, 'usual.payments'), 'payment')} worth ${n(num(e, 'usual.totalEur'))} EUR — ${times(num(e, 'timesUsual.payments'))} the count and ${times(num(e, 'timesUsual.totalEur'))} the sum.`,
  ],
  'rapid-transfers': (e) => [
    `${plural(num(e, 'transfers'), 'transfer')} to ${plural(num(e, 'distinctRecipients'), 'recipient')}${span(e)}, moving ${money(num(e, 'moved'), str(e, 'currency'))}.`,
    `The balance went from ${n(num(e, 'startBalance'))} to ${n(num(e, 'endBalance'))}: ${pct(num(e, 'drainedShare'))} drained (threshold ${pct(num(e, 'thresholds.minDrainShare'))}).`,
  ],
  'fan-in': (e) => [
    `${plural(num(e, 'newSenders'), 'new sender')} (${n(num(e, 'knownSenders'))} known) paid ${str(e, 'recipient') ?? 'one recipient'}${at(e, 'recipientIsOurs') === true ? ' (our account)' : ''} ${plural(num(e, 'transfers'), 'time')}${span(e)}: ${totals(at(e, 'totals'))}.`,
  ],
  'fan-out': (e) => [
    `Paid ${plural(num(e, 'newRecipients'), 'new recipient')} within ${n(num(e, 'window.hours'))} h${span(e, 'window.')}: ${totals(at(e, 'totalsByCurrency'))} (threshold ${n(num(e, 'thresholds.minNew'))}).`,
  ],
  cycle: (e) => [
    `Money went round ${plural(num(e, 'hops'), 'hop')} between ${plural(num(e, 'clients'), 'client')} and back${span(e)} (${n(num(e, 'hours'))} h), amounts ${((at(e, 'amounts') as number[] | undefined) ?? []).map((a) => n(a)).join(' → ')} ${str(e, 'currency') ?? ''}.`,
  ],
  'pass-through': (e) => [
    `Received ${money(num(e, 'received'), str(e, 'currency'))} and sent ${n(num(e, 'sentOn'))} on within ${n(num(e, 'window.hours'))} h${span(e, 'window.')}; the balance before was ${n(num(e, 'balanceBefore'))}.`,
  ],
  structuring: (e) => [
    `${plural(num(e, 'count'), 'payment')} just below the reporting threshold of ${n(num(e, 'reportingThreshold'))} (each between ${n(num(e, 'band.from'))} and ${n(num(e, 'band.below'))})${span(e)}, together ${money(num(e, 'total'), str(e, 'currency'))}.`,
  ],
  'repeated-counterparty': (e) => [
    `${plural(num(e, 'transfers'), 'transfer')} ${str(e, 'direction') ?? ''}${span(e, 'window.')}, together ${money(num(e, 'total'), str(e, 'currency'))}${num(e, 'multiple') === undefined ? '' : ` — ${times(num(e, 'multiple'))} the usual debit of ${n(num(e, 'usualDebit'))}`}${at(e, 'oneLargeAmountSplit') === true ? '; one large amount split into near-equal parts' : ''}.`,
  ],
  'scatter-gather': (e) => [
    `Client ${n(num(e, 'originClient'))} scattered ${money(num(e, 'scattered'), str(e, 'currency'))} through ${plural(num(e, 'intermediaries'), 'intermediary', 'intermediaries')}, and ${n(num(e, 'gathered'))} (${pct(num(e, 'gatheredShare'))}) was gathered at ${str(e, 'gatherer') ?? '?'}${span(e)}.`,
  ],
  'gather-scatter': (e) => [
    `Account ${str(e, 'iban') ?? n(num(e, 'account'))} gathered ${money(num(e, 'received'), str(e, 'currency'))} from ${plural(num(e, 'newSenders'), 'new sender')} and paid ${n(num(e, 'paidOut'))} (${pct(num(e, 'paidOutShare'))}) out to ${plural(num(e, 'newRecipients'), 'new recipient')}${span(e)}.`,
  ],
  'unusual-pattern': (e) => [
    `${plural(num(e, 'transfers'), 'transfer')} within ${n(num(e, 'spanMinutes'))} minutes${span(e, 'window.')}, together ${money(num(e, 'total'), str(e, 'currency'))} (threshold ${n(num(e, 'thresholds.minCount'))} in ${n(num(e, 'thresholds.windowMinutes'))} minutes).`,
  ],
  'dormant-reactivation': (e) => [
    `The account was quiet for ${n(num(e, 'quietDays'))} days (since ${str(e, 'quietSince') ?? '?'}) and became active at ${str(e, 'reactivatedAt') ?? '?'}, with ${plural(num(e, 'followUps'), 'follow-up payment')}${at(e, 'drained') === true ? '; it was drained' : ''}.`,
  ],
};

/** Keys no sentence needs to show again: bookkeeping, the thresholds already quoted, the risk (said below). */
const NOT_SHOWN = new Set(['rule', 'relatedTransactionIds', 'risk', 'thresholds', 'config']);

/** `ratioToMedian` → `ratio to median`. */
const label = (key: string) =>
  key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/_/g, ' ')
    .toLowerCase();

function valueText(v: unknown): string {
  if (typeof v === 'number') return n(v);
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (Array.isArray(v)) return v.length === 0 ? 'none' : v.map(valueText).join(', ');
  if (v && typeof v === 'object')
    return Object.entries(v as Evidence)
      .map(([k, x]) => `${label(k)} ${valueText(x)}`)
      .join('; ');
  return '–';
}

/** The facts as "label: value" lines, for a rule without sentences. */
function facts(e: Evidence): string[] {
  return Object.entries(e)
    .filter(([k, v]) => !NOT_SHOWN.has(k) && v !== null && v !== undefined)
    .map(([k, v]) => `${label(k)}: ${valueText(v)}`);
}

/** How the risk scoring judged the transaction: its score, level, the rules that agreed, a mitigation. */
function riskSentence(e: Evidence): string[] {
  const level = str(e, 'risk.level');
  if (!level) return [];
  const rules = (at(e, 'risk.rules') as string[] | undefined) ?? [];
  const mitigation = str(e, 'risk.mitigation');
  return [
    `Risk ${level} (score ${n(num(e, 'risk.score'))})${rules.length > 0 ? ` from ${rules.join(', ')}` : ''}${mitigation ? `; kept lower: ${mitigation}` : ''}.`,
  ];
}

/**
 * The evidence of an alert as sentences an analyst reads: the rule's facts, then the risk. An analyst's flag (no
 * rule, evidence usually empty) says so.
 *
 * @example evidenceInWords('fan-out', { newRecipients: 13, window: { hours: 24 }, totalsByCurrency: { SEK: 62176 } })
 *   // ['Paid 13 new recipients within 24 h: 62,176 SEK (threshold ?).']
 */
export function evidenceInWords(ruleId: string | null, evidence: unknown): string[] {
  if (!evidence || typeof evidence !== 'object' || Array.isArray(evidence)) {
    return [ruleId ? 'The rule recorded no evidence.' : 'Flagged by an analyst; see the alert’s notes.'];
  }
  const e = evidence as Evidence;
  const sentences = ruleId && RULES[ruleId] ? RULES[ruleId](e) : facts(e);
  return [...sentences, ...riskSentence(e)];
}

/** The transactions an alert's evidence names (the rest of its burst, series, fan-in …), if any. */
export function relatedIds(evidence: unknown): number[] {
  const ids =
    evidence && typeof evidence === 'object' ? (evidence as Evidence).relatedTransactionIds : undefined;
  return Array.isArray(ids) ? ids.filter((id): id is number => Number.isSafeInteger(id)) : [];
}
