import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AuthError, DependencyError, NotFoundError, ValidationError } from '../../lib/errors.js';
import { errorResponse, parseInput } from '../../lib/http/handler.js';

const bodyOf = (r: { body?: string }) => JSON.parse(r.body ?? '{}');

describe('errorResponse', () => {
  it('shows 4xx messages and field problems', () => {
    const r = errorResponse(
      new ValidationError('bad', [{ field: 'query.limit', message: 'too big' }]),
      'req-1',
    );
    expect(r.statusCode).toBe(400);
    expect(bodyOf(r)).toEqual({
      error: {
        code: 'invalid_request',
        message: 'bad',
        problems: [{ field: 'query.limit', message: 'too big' }],
      },
    });
    expect(errorResponse(new AuthError('no key'), 'r').statusCode).toBe(401);
    expect(errorResponse(new NotFoundError('no alert 5'), 'r').statusCode).toBe(404);
  });

  it('never shows the text of an unexpected error, only a request id', () => {
    const r = errorResponse(new Error("ER_PARSE_ERROR near 'SELECT * FROM clients'"), 'req-9');
    expect(r.statusCode).toBe(500);
    expect(r.body).not.toMatch(/SELECT|ER_PARSE/);
    expect(bodyOf(r).error).toEqual({
      code: 'internal_error',
      message: 'Internal server error',
      requestId: 'req-9',
    });
  });

  it('maps an unavailable dependency to 503 without its details', () => {
    const r = errorResponse(new DependencyError('connect ECONNREFUSED 10.0.0.5:3306'), 'req-2');
    expect(r.statusCode).toBe(503);
    expect(r.body).not.toContain('10.0.0.5');
  });

  it('maps a failed database connection that arrives unwrapped to the same 503, and a failed statement to 500', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:3306'), {
      code: 'ECONNREFUSED',
      fatal: true,
    });
    const r = errorResponse(refused, 'req-4');
    expect(r.statusCode).toBe(503);
    expect(bodyOf(r).error).toEqual({
      code: 'dependency_unavailable',
      message: 'A dependency is unavailable; try again shortly',
      requestId: 'req-4',
    });
    const duplicate = Object.assign(new Error("Duplicate entry '7' for key 'PRIMARY'"), {
      code: 'ER_DUP_ENTRY',
      sqlState: '23000',
    });
    expect(errorResponse(duplicate, 'req-5').statusCode).toBe(500);
  });

  it('answers 500 for an error that is not one of ours, whatever status it claims', () => {
    const error = Object.assign(new Error('Invalid or malformed JSON was provided'), {
      statusCode: 415,
      expose: true,
    });
    const r = errorResponse(error, 'req-3');
    expect(r.statusCode).toBe(500);
    expect(r.body).not.toContain('malformed');
  });
});

describe('parseInput', () => {
  const schema = z
    .object({ limit: z.coerce.number().int().max(500), risk: z.enum(['Low', 'High']) })
    .strict();

  it('returns the parsed value', () => {
    expect(parseInput(schema, { limit: '5', risk: 'Low' }, 'query')).toEqual({ limit: 5, risk: 'Low' });
  });

  it('lists every problem with its field path', () => {
    try {
      parseInput(schema, { limit: '9999', risk: 'Huge', extra: 1 }, 'query');
      throw new Error('expected a ValidationError');
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      const fields = (error as ValidationError).problems.map((p) => p.field).sort();
      expect(fields).toEqual(['query', 'query.limit', 'query.risk']);
    }
  });
});
