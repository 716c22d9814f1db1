import { statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { StoreUnavailableError } from '../../src/domain/ports/store';
import { GroupCommit } from '../../src/storage/sqlite/groupCommit';
import { tempDataDir } from '../support/stores';

describe('GroupCommit', () => {
  let dataDir: ReturnType<typeof tempDataDir>;
  let db: Database.Database;
  let commits: GroupCommit;
  const insert = (value: string) => () => db.prepare('INSERT INTO t (value) VALUES (?)').run(value).lastInsertRowid;
  const values = () => db.prepare('SELECT value FROM t ORDER BY id').pluck().all();

  beforeEach(() => {
    dataDir = tempDataDir();
    db = new Database(path.join(dataDir.dir, 'test.sqlite'));
    db.pragma('journal_mode = WAL');
    // The log is never folded back into the file here, so its size counts the pages each commit wrote.
    db.pragma('wal_autocheckpoint = 0');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, value TEXT NOT NULL UNIQUE)');
    commits = new GroupCommit(db);
  });
  afterEach(() => {
    if (db.open) db.close();
    dataDir.remove();
  });

  const walBytes = () => statSync(path.join(dataDir.dir, 'test.sqlite-wal')).size;
  /** What one commit of a few rows adds to the log: two frames (the table's page and its index's), each a page and a 24-byte header. */
  const oneCommit = () => 2 * ((db.pragma('page_size', { simple: true }) as number) + 24);

  it('commits the writes asked for in one turn of the event loop in one transaction, in the order asked', async () => {
    const before = walBytes();
    expect(await Promise.all(['a', 'b', 'c', 'd', 'e'].map((value) => commits.run(insert(value))))).toEqual([1, 2, 3, 4, 5]);
    expect(walBytes() - before).toBe(oneCommit());
    // Asked for one after the other, each waiting for the last: five commits.
    for (const value of ['f', 'g', 'h', 'i', 'j']) await commits.run(insert(value));
    expect(walBytes() - before).toBe(6 * oneCommit());
    expect(values()).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']);
  });

  it('undoes and rejects a write that throws, all of its statements and nothing else, and commits the others of its turn', async () => {
    const failingHalfWay = () => {
      insert('half done')();
      insert('a')();
    };
    const outcomes = await Promise.allSettled([
      commits.run(insert('a')),
      commits.runInSavepoint(failingHalfWay),
      commits.run(insert('b')),
      commits.run(insert('b')),
      commits.run(insert('c')),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled']);
    expect(String((outcomes[1] as PromiseRejectedResult).reason)).toMatch(/UNIQUE constraint failed: t.value/);
    expect(String((outcomes[3] as PromiseRejectedResult).reason)).toMatch(/UNIQUE constraint failed: t.value/);
    expect(values()).toEqual(['a', 'b', 'c']);
  });

  it('rejects every write of a turn whose commit fails, with StoreUnavailableError (clients see 503)', async () => {
    const asked = [commits.run(insert('a')), commits.run(insert('b'))];
    db.close();
    const outcomes = await Promise.allSettled(asked);
    // Jest compares errors by message: the class is checked on its own.
    const unavailable = new StoreUnavailableError('write not stored: The database connection is not open');
    expect(outcomes).toEqual([{ status: 'rejected', reason: unavailable }, { status: 'rejected', reason: unavailable }]);
    expect(outcomes.map((outcome) => (outcome as PromiseRejectedResult).reason instanceof StoreUnavailableError)).toEqual([true, true]);
  });

  it('tells its owner when a commit fails, before any of its writes hears of it', async () => {
    const heard: string[] = [];
    const told = new GroupCommit(db, () => heard.push('commit failed'));
    const asked = told.run(insert('a')).catch(() => heard.push('write rejected'));
    db.close();
    await asked;
    expect(heard).toEqual(['commit failed', 'write rejected']);
  });

  it('commits at once when asked to flush, before a read that must see every write asked for', async () => {
    const asked = commits.run(insert('a'));
    expect(values()).toEqual([]);
    commits.flush();
    expect(values()).toEqual(['a']);
    expect(await asked).toBe(1);
  });
});
