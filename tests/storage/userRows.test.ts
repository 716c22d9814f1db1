import { AFTER_USER_COLUMNS, USER_COLUMNS, userRowOf, type RawUserRow } from '../../src/storage/sqlite/userRows';

describe('userRowOf, a raw row of the users table as its UserRow', () => {
  const columns = USER_COLUMNS.split(', ');

  it('reads each column from its place in USER_COLUMNS', () => {
    // Each value is its column's name: a column read from another place shows as a mismatch.
    const row = userRowOf(columns as unknown as RawUserRow);
    expect(Object.entries(row)).toEqual(columns.map((column) => [column, column]));
  });

  it('knows where the columns selected after the user columns start', () => {
    expect(AFTER_USER_COLUMNS).toBe(columns.length);
  });
});
