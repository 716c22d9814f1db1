import { parseIsoDateTime } from '../../src/domain/parseIsoDateTime';

describe('parseIsoDateTime', () => {
  it.each([
    ['2019-05-22T12:11:45.392Z', '2019-05-22T12:11:45.392Z'],
    ['2019-05-22T12:11:45Z', '2019-05-22T12:11:45.000Z'],
    ['2019-05-22T12:11Z', '2019-05-22T12:11:00.000Z'],
    ['2019-05-22T12:11:45.392', '2019-05-22T12:11:45.392Z'],
    ['2019-05-22T12:11', '2019-05-22T12:11:00.000Z'],
    ['2019-05-22T14:11:45.392+02:00', '2019-05-22T12:11:45.392Z'],
    ['2019-05-22T07:11:45-0500', '2019-05-22T12:11:45.000Z'],
  ])('reads %s as %s', (text, iso) => expect(parseIsoDateTime(text)?.toISOString()).toBe(iso));

  it.each(['', 'yesterday', '2019-05-22', '1558527105392', '2026-02-30T10:00:00Z', '2019-05-22T25:00:00Z', '2019-05-22T12:11:45.392Zjunk'])(
    'refuses %p',
    (text) => expect(parseIsoDateTime(text)).toBeUndefined(),
  );
});
