import { describe, expect, it } from 'vitest';
import { columnIndex } from '../../lib/db/row-columns.js';

describe('lib/db/row-columns', () => {
  it("gives each column of a select list its position, by its alias or its name without the table's", () => {
    expect(columnIndex(['a.id', 'c.country', 'SUM(n) AS n', 'title'])).toEqual({
      id: 0,
      country: 1,
      n: 2,
      title: 3,
    });
  });

  it('refuses a list that names a column twice', () => {
    expect(() => columnIndex(['a.id', 'c.id'])).toThrow('column id is listed twice');
  });
});
