import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { buildErd, erdMarkdown } from '../../lib/analytics/erd.js';

describe('docs/ERD.md', () => {
  it('matches the schema the migrations build (run `npm run erd` after changing a migration)', async () => {
    const committed = await readFile(new URL('../../docs/ERD.md', import.meta.url), 'utf8');
    expect(committed).toBe(erdMarkdown(await buildErd()));
  });

  it('draws every brief table and its foreign keys', async () => {
    const diagram = await buildErd();
    for (const table of ['clients', 'locations', 'accounts', 'transaction_types', 'transactions', 'alerts']) {
      expect(diagram).toMatch(new RegExp(`^  ${table} \\{$`, 'm'));
    }
    expect(diagram).toContain('clients ||--o{ accounts : "client_id"');
    expect(diagram).toContain('accounts ||--o{ transactions : "account_id"');
    expect(diagram).toContain('transactions ||--o{ alerts : "transaction_id"');
    expect(diagram).not.toMatch(/schema_migrations|legacy_/);
  });
});
