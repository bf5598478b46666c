/**
 * The daily digest through a real local SES (the server serverless-offline-ses-v2 runs under `npm start`): what the
 * mail says about new cases, overdue ones, cases of old transactions and the last backup, read back from its store.
 */
import ServerlessOfflineSesV2 from 'serverless-offline-ses-v2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Config, ConfigError, getConfig } from '../../lib/config.js';
import { execute, query } from '../../lib/db/pool.js';
import { sendDigest } from '../../lib/notify/digest.js';
import { freePort } from '../../scripts/local/database.js';
import { attach, makeAlert, makeClient } from './cases-fixture.js';

let endpoint: string;
let ses: InstanceType<typeof ServerlessOfflineSesV2>;

beforeAll(async () => {
  const port = await freePort();
  const serverless = {
    service: { custom: { 'serverless-offline-ses-v2': { port, host: '127.0.0.1' } } },
    cli: { log: () => undefined },
  };
  ses = new ServerlessOfflineSesV2(serverless as never);
  await ses.hooks['before:offline:start:init']?.(); // as serverless offline starts it
  endpoint = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  await ses.hooks['before:offline:start:end']?.();
});

const booked = async (hours: number) =>
  String((await query<{ t: string }>('SELECT NOW() - INTERVAL ? HOUR AS t', [hours]))[0]?.t);

async function caseWith(risk: 'Medium' | 'High', hoursAgo: number): Promise<number> {
  const { accountId } = await makeClient();
  const { alertId } = await makeAlert(accountId, { risk, booked: await booked(hoursAgo) });
  return Number((await attach([alertId])).touched[0]);
}

describe('the daily digest', () => {
  it('mails new cases by risk, overdue cases, cases of old transactions and the last backup through SES', async () => {
    await caseWith('High', 1);
    const overdue = await caseWith('Medium', 2);
    await execute('UPDATE cases SET due_at = NOW() - INTERVAL 1 HOUR WHERE id = ?', [overdue]);
    const old = await caseWith('High', 24 * 10);
    await execute(
      `INSERT INTO backup_runs (object_key, bucket, database_name, trigger_source, status, started_at, finished_at, error)
       VALUES ('backups/x.sql.gz', 'b', 'd', 'schedule', 'failed', NOW(3) - INTERVAL 4 HOUR, NOW(3) - INTERVAL 4 HOUR, 'S3 down')`,
    );
    const config: Config = {
      ...getConfig(),
      NOTIFY_MAIL_FROM: 'monitor@bank.example',
      NOTIFY_DIGEST_TO: ['security-team@bank.example', 'lead@bank.example'],
      SES_ENDPOINT: endpoint,
    };
    const { messageId } = await sendDigest(config);
    const store = (await (await fetch(`${endpoint}/store`)).json()) as {
      emails: Array<{
        messageId: string;
        from: string;
        destination: { to: string[] };
        subject: string;
        body: { text: string; html: string };
      }>;
    };
    const mail = store.emails.find((e) => e.messageId === messageId);
    expect(mail).toMatchObject({
      from: 'monitor@bank.example',
      destination: { to: ['security-team@bank.example', 'lead@bank.example'] },
      subject: '[Financial Monitor] Daily digest: 2 new High, 1 overdue, backup needs attention',
    });
    expect(mail?.body.text).toContain('High 2, Medium 1, Low 0');
    expect(mail?.body.text).toMatch(new RegExp(`Overdue cases: 1\\n  case ${overdue}: Medium`));
    expect(mail?.body.text).toMatch(new RegExp(`\\(not paged\\): 1\\n  case ${old}: High`));
    expect(mail?.body.text).toMatch(/Last backup\n {2}failed, started /);
    expect(mail?.body.html).toContain('<h2>Last backup</h2>');
  });

  it('fails naming the missing setting when the sender or the recipients are not configured', async () => {
    const config: Config = {
      ...getConfig(),
      NOTIFY_MAIL_FROM: undefined,
      NOTIFY_DIGEST_TO: [],
      SES_ENDPOINT: endpoint,
    };
    await expect(sendDigest(config)).rejects.toThrow(ConfigError);
    await expect(sendDigest(config)).rejects.toThrow(
      /NOTIFY_MAIL_FROM is required[\s\S]*NOTIFY_DIGEST_TO is required/,
    );
  });
});
