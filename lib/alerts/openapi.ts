/**
 * The OpenAPI 3.1 document of the HTTP API (alerts and cases), generated from the zod schemas in ./schemas.ts and
 * ../cases/schemas.ts — the same objects that validate requests — with `z.toJSONSchema` (JSON Schema 2020-12, the dialect OpenAPI 3.1 uses). Built once per
 * container.
 */
import { type ZodType, z } from 'zod';
import {
  caseIdPathSchema,
  createNoteBodySchema,
  listCasesQuerySchema,
  updateCaseBodySchema,
} from '../cases/schemas.js';
import { listNotificationsQuerySchema, notificationIdPathSchema } from '../notify/schemas.js';
import { listSuppressionsQuerySchema, suppressionIdPathSchema } from '../suppressions/schemas.js';
import {
  alertIdPathSchema,
  apiRegistry,
  createAlertBodySchema,
  listAlertsQuerySchema,
  statsQuerySchema,
  updateAlertBodySchema,
} from './schemas.js';

type JsonSchema = Record<string, unknown>;

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });

function clean(schema: JsonSchema): JsonSchema {
  const { $schema: _s, $id: _i, ...rest } = schema;
  return rest;
}

function inputSchema(schema: ZodType): JsonSchema {
  return clean(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema);
}

/** One OpenAPI parameter per field of a strict query or path schema. */
function parameters(schema: { shape: Record<string, ZodType> }, where: 'query' | 'path') {
  return Object.entries(schema.shape).map(([name, field]) => {
    const { description, ...json } = inputSchema(field);
    return {
      name,
      in: where,
      required: where === 'path' || !field.safeParse(undefined).success,
      ...(description ? { description } : {}),
      schema: json,
    };
  });
}

const error = (description: string) => ({
  description,
  content: { 'application/json': { schema: ref('Error') } },
});
const ok = (description: string, id: string) => ({
  description,
  content: { 'application/json': { schema: ref(id) } },
});
const READ_ERRORS = {
  '400': error('invalid query or path: unknown parameters, wrong types or values (field-level problems)'),
  '401': error('no API key, or not a valid one'),
};
const WRITE_ERRORS = {
  ...READ_ERRORS,
  '400': error('invalid body: malformed JSON, unknown fields, wrong types, larger than 16 KiB'),
  '403': error('the key’s role (viewer) may not write'),
  '415': error('the body is not JSON'),
};

/** The named schemas: responses as returned (output), request bodies as accepted (input). */
function componentSchemas(): Record<string, JsonSchema> {
  const components = z.toJSONSchema(apiRegistry, {
    uri: (id) => `#/components/schemas/${id}`,
    unrepresentable: 'any',
  }) as { schemas: Record<string, JsonSchema> };
  components.schemas.CreateAlert = inputSchema(createAlertBodySchema);
  components.schemas.UpdateAlert = inputSchema(updateAlertBodySchema);
  components.schemas.UpdateCase = inputSchema(updateCaseBodySchema);
  components.schemas.CreateCaseNote = inputSchema(createNoteBodySchema);
  return Object.fromEntries(Object.entries(components.schemas).map(([k, v]) => [k, clean(v)]));
}

const jsonBody = (id: string) => ({ required: true, content: { 'application/json': { schema: ref(id) } } });

/** /alerts (list, flag) and /alerts/stats. */
function alertCollectionPaths() {
  return {
    '/alerts': {
      get: {
        operationId: 'listAlerts',
        summary: 'Alerts, newest first, filtered, in keyset pages',
        parameters: parameters(listAlertsQuerySchema, 'query'),
        responses: { '200': ok('one page; follow next_cursor for the next', 'AlertList'), ...READ_ERRORS },
      },
      post: {
        operationId: 'flagTransaction',
        summary: 'An analyst flags a transaction (idempotent)',
        requestBody: jsonBody('CreateAlert'),
        responses: {
          '201': ok('the new alert (Location: /alerts/{id})', 'AlertDetail'),
          '200': ok('the same flag is already active: the request was a repeat', 'AlertDetail'),
          ...WRITE_ERRORS,
          '409': error('the transaction is already flagged for this reason with another risk level or note'),
          '422': error('the transaction does not exist'),
        },
      },
    },
    '/alerts/stats': {
      get: {
        operationId: 'alertStats',
        summary: 'Counts by risk level, reason, status and day over a period; the latest scan runs',
        parameters: parameters(statsQuerySchema, 'query'),
        responses: { '200': ok('the figures', 'AlertStats'), ...READ_ERRORS },
      },
    },
  };
}

/** /alerts/{id} (read, move along the workflow). */
function singleAlertPaths() {
  const idParam = parameters(alertIdPathSchema, 'path');
  return {
    '/alerts/{id}': {
      get: {
        operationId: 'getAlert',
        summary: 'An alert with its evidence, transaction, account, client, related transactions and history',
        parameters: idParam,
        responses: { '200': ok('the alert', 'AlertDetail'), ...READ_ERRORS, '404': error('no such alert') },
      },
      patch: {
        operationId: 'updateAlert',
        summary: 'Moves an alert along open → investigating → closed (with a disposition and a note)',
        parameters: idParam,
        requestBody: jsonBody('UpdateAlert'),
        responses: {
          '200': ok('the alert after the change, history included', 'AlertDetail'),
          ...WRITE_ERRORS,
          '404': error('no such alert'),
          '409': error(
            'the transition is not allowed from the alert’s current state (a suppressed one has none)',
          ),
          '422': error('a suppression asked for on an analyst’s flag (it has no rule)'),
        },
      },
    },
  };
}

const CASE_WRITE_ERRORS = {
  ...WRITE_ERRORS,
  '403': error(
    'a viewer; an analyst on a case assigned to someone else or escalated; a reopen or assignment by a non-lead',
  ),
  '404': error('no such case'),
};

/** /cases (the queue), /cases/{id} (read, work) and /cases/{id}/notes. */
function casePaths() {
  const idParam = parameters(caseIdPathSchema, 'path');
  const ifMatch = {
    name: 'If-Match',
    in: 'header',
    required: true,
    description: 'the case’s ETag (its version) from GET /cases/{id}, e.g. "3"',
    schema: { type: 'string' },
  };
  const withEtag = (description: string) => ({
    ...ok(description, 'CaseDetail'),
    headers: { ETag: { description: 'the case’s version', schema: { type: 'string' } } },
  });
  return {
    '/cases': {
      get: {
        operationId: 'listCases',
        summary: 'The case queue: soonest due first, then highest priority, then id, in keyset pages',
        parameters: parameters(listCasesQuerySchema, 'query'),
        responses: { '200': ok('one page; follow next_cursor for the next', 'CaseList'), ...READ_ERRORS },
      },
    },
    '/cases/{id}': {
      get: {
        operationId: 'getCase',
        summary:
          'A case: alerts with evidence, the client’s latest transactions, related clients, notes, history',
        parameters: idParam,
        responses: { '200': withEtag('the case'), ...READ_ERRORS, '404': error('no such case') },
      },
      patch: {
        operationId: 'updateCase',
        summary: 'Assign, move along open → investigating → escalated → closed, reopen (lead), annotate',
        parameters: [...idParam, ifMatch],
        requestBody: jsonBody('UpdateCase'),
        responses: {
          '200': withEtag('the case after the change'),
          ...CASE_WRITE_ERRORS,
          '409': error('the move is not allowed from the case’s current state'),
          '412': error('the case changed since the version in If-Match: read it again'),
          '422': error(
            'the assignee is not someone who works cases; a suppression names a rule none of the case’s alerts has, ' +
              'or the case is a network case',
          ),
          '428': error('If-Match is missing'),
        },
      },
    },
    '/cases/{id}/notes': {
      post: {
        operationId: 'addCaseNote',
        summary: 'A note on a case',
        parameters: idParam,
        requestBody: jsonBody('CreateCaseNote'),
        responses: { '201': withEtag('the case with the note'), ...CASE_WRITE_ERRORS },
      },
    },
  };
}

/** /suppressions (list) and /suppressions/{id} (revoke). */
function suppressionPaths() {
  return {
    '/suppressions': {
      get: {
        operationId: 'listSuppressions',
        summary: 'Suppressions made by closing as a false positive, newest first, filtered, in keyset pages',
        parameters: parameters(listSuppressionsQuerySchema, 'query'),
        responses: {
          '200': ok('one page; follow next_cursor for the next', 'SuppressionList'),
          ...READ_ERRORS,
        },
      },
    },
    '/suppressions/{id}': {
      delete: {
        operationId: 'revokeSuppression',
        summary:
          'Revokes a suppression (a lead, or the person who made it); revoking it again changes nothing',
        parameters: parameters(suppressionIdPathSchema, 'path'),
        responses: {
          '200': ok('the suppression, revoked, with its history', 'Suppression'),
          ...READ_ERRORS,
          '403': error('a viewer; an analyst revoking someone else’s suppression'),
          '404': error('no such suppression'),
        },
      },
    },
  };
}

/** /notifications (the outbox) and a lead's retry of a failed one. */
function notificationPaths() {
  return {
    '/notifications': {
      get: {
        operationId: 'listNotifications',
        summary: 'The notifications outbox, newest first, with each destination’s outcome, in keyset pages',
        parameters: parameters(listNotificationsQuerySchema, 'query'),
        responses: {
          '200': ok('one page; follow next_cursor for the next', 'NotificationList'),
          ...READ_ERRORS,
        },
      },
    },
    '/notifications/{id}/retry': {
      post: {
        operationId: 'retryNotification',
        summary: 'Put a failed notification back in the queue (lead)',
        parameters: parameters(notificationIdPathSchema, 'path'),
        responses: {
          '200': ok('the notification, pending again', 'Notification'),
          ...READ_ERRORS,
          '403': error('only a lead may retry'),
          '404': error('no such notification'),
          '409': error('the notification is not failed'),
        },
      },
    },
  };
}

/** The routes without a key. */
const PUBLIC_PATHS = {
  '/health': {
    get: {
      operationId: 'health',
      summary: 'Database and S3 reachability (no auth)',
      security: [],
      responses: { '200': { description: 'both answer' }, '503': { description: 'one does not' } },
    },
  },
  '/openapi.json': {
    get: {
      operationId: 'openapi',
      summary: 'This document (no auth)',
      security: [],
      responses: { '200': { description: 'OpenAPI 3.1 JSON' } },
    },
  },
};

function build() {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Financial Monitor — alerts, cases, suppressions and notifications API',
      version: '1.0.0',
      description:
        'List, inspect, flag and resolve the alerts raised by the anomaly scan and by analysts. Send an API key in ' +
        '`x-api-key` (or `Authorization: Bearer`). Roles: viewer (read; client identifier, e-mail and phone ' +
        'masked), analyst (read, flag, resolve, work cases assigned to them or to nobody) and lead (also ' +
        'assign, reassign, reopen and revoke any suppression). Closing a case or an alert as a false positive may ' +
        'add suppressions, which keep the scan from raising the same finding until a date. Times are UTC; amounts ' +
        'are decimal strings.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    security: [{ apiKey: [] }, { bearer: [] }],
    paths: {
      ...alertCollectionPaths(),
      ...singleAlertPaths(),
      ...casePaths(),
      ...suppressionPaths(),
      ...notificationPaths(),
      ...PUBLIC_PATHS,
    },
    components: {
      schemas: componentSchemas(),
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
        bearer: { type: 'http', scheme: 'bearer', description: 'the same API key as a bearer token' },
      },
    },
  };
}

let document: ReturnType<typeof build> | undefined;

/** The OpenAPI document (built on first use). */
export function openApiDocument(): ReturnType<typeof build> {
  document ??= build();
  return document;
}
