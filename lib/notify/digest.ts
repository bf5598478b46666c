/**
 * The daily digest e-mail: what the team should know each morning without having been paged — new cases of the
 * last day by risk, the overdue ones, the cases of old transactions (an import, a rescan: they page no one, see
 * ./outbox.ts), and the last backup's status. Sent through SES v2 from NOTIFY_MAIL_FROM to NOTIFY_DIGEST_TO; no
 * personal data (case ids, figures and links only).
 */
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { isoTime } from '../alerts/repository.js';
import { type Config, ConfigError, getConfig } from '../config.js';
import { query } from '../db/pool.js';
import { escapeHtml } from '../html/escape.js';
import { HAS_CURRENT_TRANSACTIONS } from './outbox.js';

interface DigestCase {
  id: number;
  risk_level: string;
  priority: number;
  status: string;
  assignee: string | null;
  due_at: string;
}

export interface Digest {
  /** The day covered ends at `at` (ISO). */
  at: string;
  newCases: Record<'High' | 'Medium' | 'Low', number>;
  overdue: { count: number; first: DigestCase[] };
  oldTransactionCases: DigestCase[];
  backup: {
    status: string;
    started_at: string;
    finished_at: string | null;
    verify_status: string | null;
  } | null;
}

/** How many cases each list shows (the counts are whole). */
const LIST_LIMIT = 20;

const CASE_COLUMNS = 'c.id, c.risk_level, c.priority, c.status, c.assignee, c.due_at';

const toCase = (r: Record<string, unknown>): DigestCase => ({
  id: Number(r.id),
  risk_level: String(r.risk_level),
  priority: Number(r.priority),
  status: String(r.status),
  assignee: (r.assignee as string | null) ?? null,
  due_at: isoTime(String(r.due_at)),
});

/** Reads the digest's figures as of now. */
export async function gatherDigest(cfg: Config = getConfig()): Promise<Digest> {
  const [now] = await query<{ now: string }>('SELECT NOW() AS now');
  const byRisk = await query<{ risk_level: 'High' | 'Medium' | 'Low'; n: number }>(
    `SELECT risk_level, COUNT(*) AS n FROM cases WHERE opened_at >= NOW() - INTERVAL 1 DAY GROUP BY risk_level`,
  );
  const [overdueCount] = await query<{ n: number }>(
    `SELECT COUNT(*) AS n FROM cases WHERE status <> 'closed' AND due_at < NOW()`,
  );
  const overdue = await query(
    `SELECT ${CASE_COLUMNS} FROM cases c WHERE c.status <> 'closed' AND c.due_at < NOW()
     ORDER BY c.due_at, c.priority DESC, c.id LIMIT ?`,
    [LIST_LIMIT],
  );
  const old = await query(
    `SELECT ${CASE_COLUMNS} FROM cases c WHERE c.opened_at >= NOW() - INTERVAL 1 DAY AND NOT ${HAS_CURRENT_TRANSACTIONS}
     ORDER BY c.priority DESC, c.id LIMIT ?`,
    [cfg.NOTIFY_OLD_TRANSACTION_HOURS, LIST_LIMIT],
  );
  const [backup] = await query(
    `SELECT status, started_at, finished_at, verify_status FROM backup_runs
     WHERE trigger_source <> 'verify' ORDER BY started_at DESC, id DESC LIMIT 1`,
  );
  const newCases = { High: 0, Medium: 0, Low: 0 };
  for (const r of byRisk) newCases[r.risk_level] = Number(r.n);
  return {
    at: isoTime(String(now?.now)),
    newCases,
    overdue: { count: Number(overdueCount?.n ?? 0), first: overdue.map(toCase) },
    oldTransactionCases: old.map(toCase),
    backup: backup
      ? {
          status: String(backup.status),
          started_at: isoTime(String(backup.started_at)),
          finished_at: isoTime((backup.finished_at as string | null) ?? null),
          verify_status: (backup.verify_status as string | null) ?? null,
        }
      : null,
  };
}

const caseLine = (c: DigestCase) =>
  `case ${c.id}: ${c.risk_level}, priority ${c.priority}, ${c.status}, due ${c.due_at}, ${c.assignee ?? 'unassigned'}`;

/** The digest as an e-mail: a subject, a plain-text body and the same as simple HTML. Pure. */
export function renderDigest(d: Digest): { subject: string; text: string; html: string } {
  const sections: Array<[string, string[]]> = [
    [
      'New cases in the last 24 hours',
      [`High ${d.newCases.High}, Medium ${d.newCases.Medium}, Low ${d.newCases.Low}`],
    ],
    [
      `Overdue cases: ${d.overdue.count}`,
      d.overdue.first.map(caseLine).concat(d.overdue.count > d.overdue.first.length ? ['…'] : []),
    ],
    [
      `Cases of old transactions opened in the last 24 hours (not paged): ${d.oldTransactionCases.length}`,
      d.oldTransactionCases.map(caseLine),
    ],
    [
      'Last backup',
      [
        d.backup
          ? `${d.backup.status}, started ${d.backup.started_at}${d.backup.finished_at ? `, finished ${d.backup.finished_at}` : ''}${d.backup.verify_status ? `, restore test ${d.backup.verify_status}` : ''}`
          : 'no backup has run',
      ],
    ],
  ];
  const backupOk = d.backup?.status === 'succeeded';
  const subject = `[Financial Monitor] Daily digest: ${d.newCases.High} new High, ${d.overdue.count} overdue${backupOk ? '' : ', backup needs attention'}`;
  const text = [`Financial Monitor — daily digest, ${d.at}`, '']
    .concat(sections.flatMap(([title, lines]) => [title, ...lines.map((l) => `  ${l}`), '']))
    .join('\n');
  const html = `<h1>Financial Monitor — daily digest, ${escapeHtml(d.at)}</h1>${sections
    .map(
      ([title, lines]) =>
        `<h2>${escapeHtml(title)}</h2>${lines.length > 0 ? `<ul>${lines.map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul>` : ''}`,
    )
    .join('')}`;
  return { subject, text, html };
}

/** One client per endpoint (AWS, or a local SES), kept for the container's life. */
const sesClients = new Map<string, SESv2Client>();

/**
 * Gathers, renders and sends the digest; returns the SES message id. ConfigError when the sender or the
 * recipients are not configured.
 *
 * @example await sendDigest()
 */
export async function sendDigest(cfg: Config = getConfig()): Promise<{ messageId: string | undefined }> {
  const problems = [
    ...(cfg.NOTIFY_MAIL_FROM ? [] : ['NOTIFY_MAIL_FROM is required for the digest']),
    ...(cfg.NOTIFY_DIGEST_TO.length > 0 ? [] : ['NOTIFY_DIGEST_TO is required for the digest']),
  ];
  if (problems.length > 0) throw new ConfigError(problems);
  const mail = renderDigest(await gatherDigest(cfg));
  const key = cfg.SES_ENDPOINT ?? 'aws';
  const ses =
    sesClients.get(key) ??
    new SESv2Client({ region: cfg.AWS_REGION, ...(cfg.SES_ENDPOINT ? { endpoint: cfg.SES_ENDPOINT } : {}) });
  sesClients.set(key, ses);
  const sent = await ses.send(
    new SendEmailCommand({
      FromEmailAddress: cfg.NOTIFY_MAIL_FROM,
      Destination: { ToAddresses: cfg.NOTIFY_DIGEST_TO },
      Content: {
        Simple: {
          Subject: { Data: mail.subject, Charset: 'UTF-8' },
          Body: { Text: { Data: mail.text, Charset: 'UTF-8' }, Html: { Data: mail.html, Charset: 'UTF-8' } },
        },
      },
    }),
  );
  return { messageId: sent.MessageId };
}
