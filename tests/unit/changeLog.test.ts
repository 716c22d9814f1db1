import { ChangeLog } from '../../src/storage/memory/changeLog';

describe('ChangeLog', () => {
  it('lists the distinct users with a change at or after a time', () => {
    const log = new ChangeLog(60_000);
    log.record('a', 1000);
    log.record('b', 2000);
    log.record('a', 3000);
    expect([...log.userIdsFrom(1001)].sort()).toEqual(['a', 'b']);
    expect([...log.userIdsFrom(2000)].sort()).toEqual(['a', 'b']);
    expect([...log.userIdsFrom(2001)]).toEqual(['a']);
    expect([...log.userIdsFrom(3001)]).toEqual([]);
  });
  it('keeps two changes stamped in the same millisecond', () => {
    const log = new ChangeLog(60_000);
    log.record('a', 1000);
    log.record('b', 1000);
    expect([...log.userIdsFrom(1000)].sort()).toEqual(['a', 'b']);
  });
  it('keeps time order when a change is stamped earlier than the last one', () => {
    const log = new ChangeLog(60_000);
    log.record('a', 3000);
    log.record('b', 1000);
    expect([...log.userIdsFrom(2001)]).toEqual(['a']);
    expect([...log.userIdsFrom(500)].sort()).toEqual(['a', 'b']);
  });
  it('drops changes older than its retention', () => {
    const log = new ChangeLog(10_000);
    log.record('a', 1000);
    log.record('b', 20_000);
    expect(log.length).toBe(1);
  });
});

describe('ChangeLog under a steady stream of changes', () => {
  it('keeps exactly the retention window however many entries have expired', () => {
    const log = new ChangeLog(1000);
    for (let ms = 0; ms < 10_000; ms += 1) log.record(`u${ms % 7}`, ms);
    expect(log.length).toBe(1001);
    expect([...log.userIdsFrom(9999)]).toEqual([`u${9999 % 7}`]);
    expect(log.userIdsFrom(8991).size).toBe(7);
  });
});
