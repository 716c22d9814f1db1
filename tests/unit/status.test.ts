import { isStatus, STATUSES } from '../../src/domain/status';

describe('isStatus', () => {
  it.each(STATUSES)('accepts %s', (status) => expect(isStatus(status)).toBe(true));
  it.each(['Online', 'invisible', '', ' online', null, 1, ['online']])('refuses %p', (value) => expect(isStatus(value)).toBe(false));
});
