import { beforeAll, describe, expect, it } from 'vitest';
import { query } from '../../lib/db/pool.js';
import { evaluateDetection, formatEvaluation } from '../../lib/scan/evaluate.js';
import { parseSeedOptions } from '../../lib/seed/options.js';
import { runSeed } from '../../lib/seed/run.js';

const alert = (id: number, level: string) =>
  query(
    "INSERT INTO alerts (transaction_id, reason, risk_level, flagged_by, rule_id) VALUES (?, 'test', ?, 'system', 'high-amount')",
    [id, level],
  );

describe('scan --evaluate', () => {
  let accounts: Array<{ id: number; client_id: number }>;

  beforeAll(async () => {
    await runSeed(
      parseSeedOptions({
        clients: 30,
        transactions: 1_500,
        from: '2025-01-01',
        to: '2026-01-01',
        anomalyRate: 0,
      }),
    );
    accounts = await query<{ id: number; client_id: number }>(
      'SELECT MIN(id) AS id, client_id FROM accounts GROUP BY client_id ORDER BY client_id LIMIT 4',
    );
  });

  it('takes imported kinds from the table, counts clients per episode at Medium+ and High, decoys above Low and the alert load per 1 000', async () => {
    // An imported two-client episode (suspicious = 1) and an imported decoy kind (suspicious = 0) of two episodes.
    const txOf = async (account: number) =>
      Number(
        (
          await query<{ id: number }>('SELECT MAX(id) AS id FROM transactions WHERE account_id = ?', [
            account,
          ])
        )[0]?.id,
      );
    const [a, b, c, d] = await Promise.all(accounts.map((x) => txOf(Number(x.id))));
    await query(
      `INSERT INTO anomaly_labels (transaction_id, episode_id, kind, suspicious, note) VALUES
         (?, 900, 'imported-ring', 1, ''), (?, 900, 'imported-ring', 1, ''), (?, 901, 'imported-benign', 0, ''),
         (?, 902, 'imported-benign', 0, '')`,
      [a, b, c, d],
    );
    await alert(a as number, 'High');
    await alert(c as number, 'Low');
    await alert(d as number, 'Medium');

    const e = await evaluateDetection();
    const ring = e.kinds.find((k) => k.kind === 'imported-ring');
    expect(ring).toMatchObject({
      suspicious: true,
      episodes: 1,
      clients: 2,
      transactions: 2,
      maxRisk: 'High',
    });
    expect(ring).toMatchObject({ episodeRecall: 1, clientRecall: 0.5, transactionRecall: 0.5 });
    expect(ring).toMatchObject({ episodeHighRecall: 1, clientHighRecall: 0.5, highRecall: 0.5 });
    expect(e.kinds.find((k) => k.kind === 'imported-benign')).toMatchObject({
      suspicious: false,
      episodes: 2,
      maxRisk: 'Medium',
      episodesAboveLow: 1,
      aboveLow: 1,
    });
    expect(e.totalTransactions).toBe(1_500);
    expect(e.perThousand).toEqual({ Low: 1000 / 1_500, Medium: 1000 / 1_500, High: 1000 / 1_500 });
    expect(e.high).toMatchObject({ transactions: 1, suspicious: 1, precision: 1 });
    expect(e.mediumOrAbove).toMatchObject({ transactions: 2, suspicious: 1, precision: 0.5 });
    // Two clients have a Medium-or-above transaction: the ring's (suspicious) and the decoy's.
    expect(e.mediumOrAboveClients).toEqual({ clients: 2, suspicious: 1, precision: 0.5 });
    const table = formatEvaluation(e);
    expect(table).toMatch(/per 1 000 .* Low 0\.7, Medium 0\.7, High 0\.7/);
    expect(table).toContain(
      '| imported-ring | 1 | 2 | 2 | 100.0% |  50.0% |  50.0% | 100.0% |  50.0% |  50.0% |',
    );
    expect(table).toContain('Decoy episodes above Low: 1 of 2, transactions above Low: 1');
    expect(table).toContain(
      'Clients with a Medium-or-above transaction: 2, in a suspicious episode: 1, precision 50.0%',
    );
  });
});
