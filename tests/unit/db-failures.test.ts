import { describe, expect, it } from 'vitest';
import { DbFailure, describeDbFailure, lockHeld, lockHeldWords, notMigrated } from '../../lib/db/failures.js';
import type { DbSettings } from '../../lib/db/settings.js';
import { DependencyError } from '../../lib/errors.js';

const settings: DbSettings = {
  host: 'db.internal',
  port: 3307,
  user: 'fm',
  password: 's3cret-pw',
  database: 'fm_prod',
};

/** A socket failure as mysql2 reports it (it marks them fatal). */
function socketError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code, fatal: true });
}

/** A server answer as mysql2 reports it. */
function serverError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code, sqlState: 'HY000', sqlMessage: message });
}

describe('describeDbFailure', () => {
  it.each([
    [
      'server-refused',
      socketError('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.5:3307'),
      'MySQL at db.internal:3307 refused the connection: nothing listens there (ECONNREFUSED); start the server or set MYSQL_URL',
    ],
    [
      'no-answer',
      socketError('ETIMEDOUT', 'connect ETIMEDOUT'),
      'MySQL at db.internal:3307 does not answer: the connection timed out (ETIMEDOUT); check the host, the port and any firewall between, or set MYSQL_URL',
    ],
    [
      'host-unknown',
      socketError('ENOTFOUND', 'getaddrinfo ENOTFOUND db.internal'),
      'host db.internal is unknown: DNS has no address for it (ENOTFOUND); check the host of MYSQL_URL',
    ],
    [
      'database-missing',
      serverError('ER_BAD_DB_ERROR', "Unknown database 'fm_prod'"),
      'database fm_prod does not exist on db.internal:3307 yet; npm run migrate creates it and its tables (npm start does it too)',
    ],
    [
      'credentials-refused',
      serverError('ER_ACCESS_DENIED_ERROR', "Access denied for user 'fm'@'10.0.0.9' (using password: YES)"),
      'MySQL at db.internal:3307 refused user fm (ER_ACCESS_DENIED_ERROR); check the user and password of MYSQL_URL',
    ],
    [
      'not-migrated',
      serverError('ER_NO_SUCH_TABLE', "Table 'fm_prod.scan_runs' doesn't exist"),
      'database fm_prod on db.internal:3307 is not migrated: table scan_runs is missing; run npm run migrate',
    ],
    [
      'connection-lost',
      socketError('PROTOCOL_CONNECTION_LOST', 'Connection lost: The server closed the connection.'),
      'the connection to MySQL at db.internal:3307 was lost (PROTOCOL_CONNECTION_LOST); check that the server is up, then try again',
    ],
    [
      'lock-held',
      serverError('ER_LOCK_WAIT_TIMEOUT', 'Lock wait timeout exceeded; try restarting transaction'),
      'another session held rows or a table this run needed for longer than the server waits (ER_LOCK_WAIT_TIMEOUT); try again once it has finished',
    ],
  ])('puts %s in words, keeping the driver error as the cause', (kind, error, words) => {
    const failure = describeDbFailure(error, settings);
    expect(failure).toBeInstanceOf(DbFailure);
    expect(failure).toBeInstanceOf(DependencyError);
    expect(failure).toMatchObject({ kind, message: words, cause: error });
    expect(failure?.message).not.toContain(settings.password);
  });

  it('tells the neighbouring cases apart in their words', () => {
    const words = (error: Error) => describeDbFailure(error, settings)?.message;
    expect(words(socketError('EHOSTUNREACH', 'connect EHOSTUNREACH'))).toMatch(
      /^MySQL at db.internal:3307 does not answer: no route to that host \(EHOSTUNREACH\)/,
    );
    expect(words(socketError('EAI_AGAIN', 'getaddrinfo EAI_AGAIN db.internal'))).toMatch(
      /^host db.internal could not be looked up: DNS did not answer \(EAI_AGAIN\)/,
    );
    expect(words(serverError('ER_CON_COUNT_ERROR', 'Too many connections'))).toMatch(
      /^MySQL at db.internal:3307 refused the connection: it has too many open \(ER_CON_COUNT_ERROR\)/,
    );
    expect(words(serverError('ER_ACCESS_DENIED_NO_PASSWORD_ERROR', 'Access denied'))).toMatch(
      /refused user fm \(ER_ACCESS_DENIED_NO_PASSWORD_ERROR\)/,
    );
  });

  it('names where the settings come from in its advice', () => {
    const error = socketError('ECONNREFUSED', 'connect ECONNREFUSED');
    expect(describeDbFailure(error, settings, 'the database secret (MYSQL_SECRET_ID)')?.message).toMatch(
      /; start the server or set the database secret \(MYSQL_SECRET_ID\)$/,
    );
  });

  it('finds the driver error behind a wrapper, a chain of causes or an AggregateError', () => {
    const refused = socketError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:3307');
    const wrapped = new DependencyError('database unreachable', { cause: refused });
    expect(describeDbFailure(wrapped, settings)?.kind).toBe('server-refused');
    expect(describeDbFailure(new Error('outer', { cause: wrapped }), settings)?.kind).toBe('server-refused');
    const aggregate = Object.assign(new AggregateError([refused], 'connect failed'), {
      code: 'ECONNREFUSED',
    });
    expect(describeDbFailure(aggregate, settings)?.kind).toBe('server-refused');
  });

  it('leaves alone what is not a database failure it knows', () => {
    // Another library's socket error (the S3 client's) is not the database's.
    const s3 = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9000'), { code: 'ECONNREFUSED' });
    expect(describeDbFailure(s3, settings)).toBeUndefined();
    expect(describeDbFailure(new DependencyError('S3 ListObjectsV2 failed', { cause: s3 }), settings)).toBe(
      undefined,
    );
    expect(describeDbFailure(serverError('ER_DUP_ENTRY', 'Duplicate entry'), settings)).toBeUndefined();
    expect(describeDbFailure(new Error('boom'), settings)).toBeUndefined();
    expect(describeDbFailure(null, settings)).toBeUndefined();
    // A missing table of another schema is not this database's migration state.
    const elsewhere = serverError('ER_NO_SUCH_TABLE', "Table 'other_db.things' doesn't exist");
    expect(describeDbFailure(elsewhere, settings)).toBeUndefined();
  });

  it('keeps a failure already in words as it is', () => {
    const failure = notMigrated(settings, ['clients', 'seed_runs']);
    expect(describeDbFailure(failure, { ...settings, database: 'elsewhere' })).toBe(failure);
    expect(failure.message).toBe(
      'database fm_prod on db.internal:3307 is not migrated: tables clients, seed_runs are missing; run npm run migrate',
    );
  });
});

describe('lockHeldWords', () => {
  const held = (job?: string) => ({ connectionId: 42, ...(job ? { job } : {}) });

  it('names the job holding a lock, and its connection', () => {
    const scanLock = { lock: 'scan lock', database: 'fm', asker: 'anomaly-scan' };
    expect(lockHeldWords({ ...scanLock, holder: held('seed') })).toBe(
      'a seed is running on database fm (connection 42 holds the scan lock)',
    );
    expect(lockHeldWords({ ...scanLock, holder: held('migrate') })).toBe(
      'a migration is running on database fm (connection 42 holds the scan lock)',
    );
    expect(lockHeldWords({ ...scanLock, holder: held('anomaly-scan') })).toBe(
      'another anomaly scan is running on database fm (connection 42 holds the scan lock)',
    );
    expect(lockHeldWords({ ...scanLock, asker: 'seed', holder: held('anomaly-scan') })).toBe(
      'an anomaly scan is running on database fm (connection 42 holds the scan lock)',
    );
  });

  it('says so when the holder left no marker, or has let go since', () => {
    const scanLock = { lock: 'scan lock', database: 'fm', asker: 'anomaly-scan' };
    expect(lockHeldWords({ ...scanLock, holder: held() })).toBe(
      'another session is running on database fm (connection 42 holds the scan lock)',
    );
    expect(lockHeldWords({ ...scanLock, holder: undefined })).toBe(
      'another session held the scan lock on database fm and has let go of it since',
    );
  });

  it('makes a conflict with advice', () => {
    const error = lockHeld({ lock: 'seed lock', database: 'fm', holder: held('seed'), asker: 'seed' });
    expect(error.status).toBe(409);
    expect(error.message).toBe(
      'another seed is running on database fm (connection 42 holds the seed lock); try again when it has finished',
    );
  });
});
