/** The traffic generator run in memory, as the seed-* unit tests drive it. */
import { LOCALES, TRANSACTION_TYPES } from '../../lib/domain/bank.js';
import { LabelLog } from '../../lib/seed/labels.js';
import { type Accounts, buildAccounts, epochDay, type PopulationSpec } from '../../lib/seed/population.js';
import type { Row } from '../../lib/seed/rows.js';
import { emptyTrafficStats, type TrafficStats, transactionRows } from '../../lib/seed/traffic.js';

/** The kinds injected on one account in one day (the others span accounts, clients or days). */
export const CLASSIC_KINDS: readonly string[] = [
  'amount-spike',
  'burst',
  'rapid-drain',
  'new-country',
  'structuring',
  'dormant-reactivation',
  'decoy-bonus',
  'decoy-house-deposit',
];

const TYPE_IDS = TRANSACTION_TYPES.map((_, i) => i + 1);
export const typeOf = (id: number) => TRANSACTION_TYPES[id - 1]?.type;

export interface Generated {
  accounts: Accounts;
  /** Each account's IBAN, by index. */
  ibans: string[];
  rows: Row[];
  labels: Row[];
  stats: TrafficStats;
}

export function generate({
  seed = 7,
  clients = 150,
  transactions = 30_000,
  anomalyRate = 0.01,
} = {}): Generated {
  const spec: PopulationSpec = {
    seed,
    clients,
    locales: LOCALES.map((l) => l.locale),
    fromDay: epochDay('2025-01-01'),
    toDay: epochDay('2026-01-01'),
    firstClientId: 1,
    firstAccountId: 1,
  };
  const accounts = buildAccounts(spec);
  const labels = new LabelLog();
  const stats = emptyTrafficStats();
  const rows = [
    ...transactionRows(
      {
        seed,
        fromDay: spec.fromDay,
        toDay: spec.toDay,
        transactions,
        anomalyRate,
        firstTransactionId: 1,
        firstEpisodeId: 1,
        typeIds: TYPE_IDS,
      },
      accounts,
      labels,
      stats,
    ),
  ];
  const ibans = Array.from({ length: accounts.count }, (_, k) => accounts.iban.get(k));
  return { accounts, ibans, rows, labels: [...labels.rows()], stats };
}
