/**
 * Shared by the alerts and cases API tests: a small, fully known bank with alerts of every kind, an in-process
 * invoker that builds API Gateway v2 events from the fixtures in tests/events/, and a checksum of the tables the API
 * may write.
 */
import type { Context } from 'aws-lambda';
import { handler as createHandler } from '../../functions/alerts-create.js';
import { handler as getHandler } from '../../functions/alerts-get.js';
import { handler as listHandler } from '../../functions/alerts-list.js';
import { handler as statsHandler } from '../../functions/alerts-stats.js';
import { handler as updateHandler } from '../../functions/alerts-update.js';
import { handler as caseGetHandler } from '../../functions/cases-get.js';
import { handler as caseListHandler } from '../../functions/cases-list.js';
import { handler as caseNoteHandler } from '../../functions/cases-notes-create.js';
import { handler as caseUpdateHandler } from '../../functions/cases-update.js';
import { handler as openapiHandler } from '../../functions/openapi.js';
import { handler as suppressionListHandler } from '../../functions/suppressions-list.js';
import { handler as suppressionRevokeHandler } from '../../functions/suppressions-revoke.js';
import { execute, query } from '../../lib/db/pool.js';
import { LOCAL_DEV_KEYS } from '../../lib/http/auth.js';
import type { HttpEvent } from '../../lib/http/handler.js';
import getList from '../events/alerts-get-list.json' with { type: 'json' };
import getOne from '../events/alerts-get-one.json' with { type: 'json' };
import getOpenapi from '../events/alerts-get-openapi.json' with { type: 'json' };
import getStats from '../events/alerts-get-stats.json' with { type: 'json' };
import patchUpdate from '../events/alerts-patch-update.json' with { type: 'json' };
import postCreate from '../events/alerts-post-create.json' with { type: 'json' };
import caseGetList from '../events/cases-get-list.json' with { type: 'json' };
import caseGetOne from '../events/cases-get-one.json' with { type: 'json' };
import casePatch from '../events/cases-patch-update.json' with { type: 'json' };
import casePostNote from '../events/cases-post-note.json' with { type: 'json' };
import suppressionRevoke from '../events/suppressions-delete-revoke.json' with { type: 'json' };
import suppressionList from '../events/suppressions-get-list.json' with { type: 'json' };

export const VIEWER_KEY = LOCAL_DEV_KEYS.find((k) => k.role === 'viewer')?.key as string;
export const ANALYST_KEY = LOCAL_DEV_KEYS.find((k) => k.role === 'analyst')?.key as string;
export const LEAD_KEY = LOCAL_DEV_KEYS.find((k) => k.role === 'lead')?.key as string;

export type Route =
  | 'list'
  | 'get'
  | 'create'
  | 'update'
  | 'stats'
  | 'openapi'
  | 'case-list'
  | 'case-get'
  | 'case-update'
  | 'case-note'
  | 'suppression-list'
  | 'suppression-revoke';

const ROUTES = {
  list: { handler: listHandler, fixture: getList },
  get: { handler: getHandler, fixture: getOne },
  create: { handler: createHandler, fixture: postCreate },
  update: { handler: updateHandler, fixture: patchUpdate },
  stats: { handler: statsHandler, fixture: getStats },
  openapi: { handler: openapiHandler, fixture: getOpenapi },
  'case-list': { handler: caseListHandler, fixture: caseGetList },
  'case-get': { handler: caseGetHandler, fixture: caseGetOne },
  'case-update': { handler: caseUpdateHandler, fixture: casePatch },
  'case-note': { handler: caseNoteHandler, fixture: casePostNote },
  'suppression-list': { handler: suppressionListHandler, fixture: suppressionList },
  'suppression-revoke': { handler: suppressionRevokeHandler, fixture: suppressionRevoke },
} as const;

export interface Call {
  /** Query string parameters (replacing the fixture's); omitted: none. */
  query?: Record<string, string>;
  /** The alert or case id (path parameter) for get / update / note. */
  id?: string;
  /** A value to send as JSON, or `raw` for the exact body text. */
  body?: unknown;
  raw?: string;
  /** The API key to send; null sends none. Default: the analyst key. */
  key?: string | null;
  headers?: Record<string, string>;
}

export interface Reply {
  status: number;
  headers: Record<string, unknown>;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: test assertions read arbitrary JSON
  body: any;
}

/** Builds the route's API Gateway v2 event from its fixture and invokes the handler in-process. */
export async function call(route: Route, options: Call = {}): Promise<Reply> {
  const { handler, fixture } = ROUTES[route];
  const event = structuredClone(fixture) as unknown as HttpEvent;
  const headers: Record<string, string> = { ...(event.headers as Record<string, string>) };
  delete headers['x-api-key'];
  delete headers['if-match'];
  if (options.key !== null) headers['x-api-key'] = options.key ?? ANALYST_KEY;
  Object.assign(headers, options.headers);
  event.headers = headers;
  event.queryStringParameters = options.query;
  event.rawQueryString = new URLSearchParams(options.query ?? {}).toString();
  if (options.id !== undefined) {
    event.pathParameters = { id: options.id };
    event.rawPath = event.rawPath.replace(/^\/(\w+)\/[^/]+/, `/$1/${options.id}`);
  }
  if (options.raw !== undefined) event.body = options.raw;
  else if (options.body !== undefined) event.body = JSON.stringify(options.body);
  const context = { awsRequestId: 'test-request', functionName: `alerts-${route}` } as Context;
  const result = await handler(event as never, context);
  const text = result.body ?? '';
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: result.statusCode ?? 0, headers: result.headers ?? {}, text, body };
}

export interface Bank {
  clients: number[];
  /** accounts[i] belongs to clients[Math.floor(i / 2)]. */
  accounts: number[];
  /** transactions by account index. */
  transactions: number[][];
  alerts: number[];
}

/**
 * Three clients with two accounts each, 10 transactions per account, and alerts on the first 8 transactions of
 * every account (48 alerts): risk levels, statuses, flagged_by, reasons and rule ids in rotation, one alert per
 * (account, day) from 2026-03-01, and system evidence naming the previous two transactions as related.
 */
export async function seedBank(): Promise<Bank> {
  await execute(
    `INSERT IGNORE INTO transaction_types (id, type, description) VALUES
     (1, 'deposit', 'Cash deposit'), (3, 'outgoing transfer', 'Transfer to another account')`,
  );
  const bank: Bank = { clients: [], accounts: [], transactions: [], alerts: [] };
  const clientRows = [
    ['Anna', 'Nowak', '85010112345', 'anna.nowak@example.pl', '+48 601 234 567', 'PL', 'pl_PL'],
    ['John', 'Smith', 'QQ123456C', 'john.smith@example.co.uk', '+44 7700 900123', 'GB', 'en_GB'],
    ['Eva', 'Berg', '19900101-1234', null, null, 'SE', 'sv_SE'],
  ];
  for (const [first, last, identifier, email, phone, country, locale] of clientRows) {
    const r = await execute(
      `INSERT INTO clients (first_name, last_name, identifier, birth_date, email, phone, gender, registration_date,
         is_active, country, locale) VALUES (?, ?, ?, '1985-01-01', ?, ?, 'F', '2020-01-01', 'Yes', ?, ?)`,
      [first, last, identifier, email, phone, country, locale],
    );
    bank.clients.push(r.insertId);
  }
  const reasons = [
    ['high amount', 'high-amount'],
    ['rapid transfers', 'rapid-transfers'],
    ['unusual location', 'unusual-location'],
    ['structuring', 'structuring'],
  ] as const;
  const risks = ['Low', 'Medium', 'High'] as const;
  let n = 0;
  for (let a = 0; a < 6; a++) {
    const clientId = bank.clients[Math.floor(a / 2)] as number;
    const acc = await execute(
      `INSERT INTO accounts (client_id, account_number, account_type, opening_date, balance, currency)
       VALUES (?, ?, 'personal', '2020-01-01', 1000.00, 'EUR')`,
      [clientId, `PL61109010140000071219812${String(a).padStart(3, '0')}`],
    );
    bank.accounts.push(acc.insertId);
    const txns: number[] = [];
    for (let t = 0; t < 10; t++) {
      const tx = await execute(
        `INSERT INTO transactions (account_id, transaction_type_id, date, amount, currency, balance_after,
           recipient_account, status, title) VALUES (?, 3, ?, ?, 'EUR', 100.00, 'DE89370400440532013000', 'completed', ?)`,
        [acc.insertId, `2026-02-${String(t + 1).padStart(2, '0')} 10:00:00`, `-${(t + 1) * 100}.00`, `t${t}`],
      );
      txns.push(tx.insertId);
    }
    bank.transactions.push(txns);
    for (let t = 0; t < 8; t++, n++) {
      const [reason, rule] = reasons[n % 4] as (typeof reasons)[number];
      const analyst = n % 6 === 5;
      const status = (['open', 'open', 'investigating', 'closed'] as const)[n % 4];
      const day = String((t % 28) + 1).padStart(2, '0');
      const evidence = analyst
        ? null
        : JSON.stringify({
            threshold: 5000,
            relatedTransactionIds: t >= 2 ? [txns[t - 1], txns[t - 2]] : [],
          });
      const r = await execute(
        `INSERT INTO alerts (transaction_id, reason, risk_level, alert_date, flagged_by, rule_id, score, evidence,
           status, disposition, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          txns[t],
          analyst ? `analyst: ${reason}` : reason,
          risks[n % 3],
          `2026-03-${day} ${String(a).padStart(2, '0')}:00:00`,
          analyst ? 'analyst' : 'system',
          analyst ? null : rule,
          analyst ? null : 50 + (n % 50),
          evidence,
          status,
          status === 'closed' ? 'false_positive' : null,
          analyst ? 'seed-analyst' : null,
        ],
      );
      bank.alerts.push(r.insertId);
    }
  }
  return bank;
}

/** A checksum of every table the API could write (rows and content), to prove a request changed nothing. */
export async function checksum(): Promise<string> {
  const rows = await query<{ Table: string; Checksum: number | null }>(
    `CHECKSUM TABLE alerts, alert_history, transactions, accounts, clients, cases, case_alerts, case_history,
       case_notes, case_clients, suppressions, suppression_history`,
  );
  const counts = await query(
    `SELECT (SELECT COUNT(*) FROM alerts) AS a, (SELECT COUNT(*) FROM alert_history) AS h,
       (SELECT COUNT(*) FROM cases) AS c, (SELECT COUNT(*) FROM case_history) AS ch`,
  );
  return JSON.stringify([rows.map((r) => r.Checksum), counts]);
}
