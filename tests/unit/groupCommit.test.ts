import { statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { StoreUnavailableError } from '../../src/domain/ports/store';
import { CHECKPOINT_LOG_BYTES, GroupCommit, type CommitReport } from '../../src/storage/sqlite/groupCommit';
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
    expect(await Promise.all(['a', 'b', 'c', 'd', 'e'].map((value) => commits.run('committed', insert(value))))).toEqual([1, 2, 3, 4, 5]);
    expect(walBytes() - before).toBe(oneCommit());
    // Asked for one after the other, each waiting for the last: five commits.
    for (const value of ['f', 'g', 'h', 'i', 'j']) await commits.run('committed', insert(value));
    expect(walBytes() - before).toBe(6 * oneCommit());
    expect(values()).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']);
  });

  it('undoes and rejects a write that throws, all of its statements and nothing else, and commits the others of its turn', async () => {
    const failingHalfWay = () => {
      insert('half done')();
      insert('a')();
    };
    const outcomes = await Promise.allSettled([
      commits.run('committed', insert('a')),
      commits.runInSavepoint('committed', failingHalfWay),
      commits.run('committed', insert('b')),
      commits.run('committed', insert('b')),
      commits.run('committed', insert('c')),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled']);
    expect(String((outcomes[1] as PromiseRejectedResult).reason)).toMatch(/UNIQUE constraint failed: t.value/);
    expect(String((outcomes[3] as PromiseRejectedResult).reason)).toMatch(/UNIQUE constraint failed: t.value/);
    expect(values()).toEqual(['a', 'b', 'c']);
  });

  it('rejects every write of a turn whose commit fails, with StoreUnavailableError (clients see 503)', async () => {
    const asked = [commits.run('committed', insert('a')), commits.run('committed', insert('b'))];
    db.close();
    const outcomes = await Promise.allSettled(asked);
    // Jest compares errors by message: the class is checked on its own.
    const unavailable = new StoreUnavailableError('write not stored: The database connection is not open');
    expect(outcomes).toEqual([{ status: 'rejected', reason: unavailable }, { status: 'rejected', reason: unavailable }]);
    expect(outcomes.map((outcome) => (outcome as PromiseRejectedResult).reason instanceof StoreUnavailableError)).toEqual([true, true]);
  });

  it('tells its owner when a commit fails, before any of its writes hears of it', async () => {
    const heard: string[] = [];
    const told = new GroupCommit(db, { onCommitFailed: () => heard.push('commit failed') });
    const asked = told.run('committed', insert('a')).catch(() => heard.push('write rejected'));
    db.close();
    await asked;
    expect(heard).toEqual(['commit failed', 'write rejected']);
  });

  it('commits at once when asked to flush, before a read that must see every write asked for', async () => {
    const asked = commits.run('committed', insert('a'));
    expect(values()).toEqual([]);
    commits.flush();
    expect(values()).toEqual(['a']);
    expect(await asked).toBe(1);
  });

  describe('durability by kind of write', () => {
    const synchronous = () => db.pragma('synchronous', { simple: true });
    let reports: CommitReport[];
    beforeEach(() => {
      reports = [];
      commits = new GroupCommit(db, { onCommit: (report) => reports.push({ ...report, synchronousAtCommit: synchronous() } as CommitReport) });
    });

    it('commits a batch of committed-only (presence) writes without an fsync: synchronous=NORMAL', async () => {
      await Promise.all([commits.run('committed', insert('a')), commits.run('committed', insert('b'))]);
      // 1 is NORMAL, 2 is FULL.
      expect(reports).toEqual([{ writes: 2, synced: false, synchronousAtCommit: 1 }]);
      expect(values()).toEqual(['a', 'b']);
    });

    it('fsyncs a batch holding any synced (account) write before answering any of it: synchronous=FULL', async () => {
      await Promise.all([commits.run('committed', insert('a')), commits.runInSavepoint('synced', insert('b'))]);
      await commits.run('committed', insert('c'));
      await commits.run('synced', insert('d'));
      expect(reports).toEqual([
        { writes: 2, synced: true, synchronousAtCommit: 2 },
        { writes: 1, synced: false, synchronousAtCommit: 1 },
        { writes: 1, synced: true, synchronousAtCommit: 2 },
      ]);
    });

    it('answers a write only after its commit has been reported', async () => {
      const heard: string[] = [];
      commits = new GroupCommit(db, { onCommit: (report) => heard.push(`commit ${report.synced ? 'synced' : 'committed'}`) });
      await Promise.all([
        commits.run('committed', insert('a')).then(() => heard.push('presence answered')),
        commits.run('synced', insert('b')).then(() => heard.push('account answered')),
      ]);
      expect(heard).toEqual(['commit synced', 'presence answered', 'account answered']);
    });
  });

  describe('checkpoints off the event loop', () => {
    const file = () => path.join(dataDir.dir, 'test.sqlite');
    /** Rows of 64 KiB: a few dozen commits fill the log past the checkpoint mark. */
    const bulky = (value: string) => () => db.prepare('INSERT INTO t (value) VALUES (?)').run(value.padEnd(64 * 1024, '.')).lastInsertRowid;
    const fillLog = async () => {
      for (let i = 0; walBytes() < CHECKPOINT_LOG_BYTES; i += 1) await commits.run('committed', bulky(`row ${i}`));
    };
    let pragmas: string[];
    /** 0 is OFF, 1 NORMAL, 2 FULL. */
    let synchronousAtCommits: number[];
    beforeEach(() => {
      pragmas = [];
      const pragma = db.pragma.bind(db);
      jest.spyOn(db, 'pragma').mockImplementation((source: string, options?: Database.PragmaOptions) => {
        // What the store sets, not what the test reads back.
        if (source !== 'synchronous') pragmas.push(source);
        return pragma(source, options);
      });
      synchronousAtCommits = [];
      commits = new GroupCommit(db, { file: file(), onCommit: () => synchronousAtCommits.push(db.pragma('synchronous', { simple: true }) as number) });
    });

    it("turns SQLite's own checkpoints off: they fsync on the event loop", () => {
      expect(pragmas).toContain('wal_autocheckpoint = 0');
      expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    });

    it('folds a full log into the file with synchronous=OFF, holding commits (not reads) until the pool has fsynced', async () => {
      await fillLog();
      const rows = values().length;
      commits.tendLog();
      // The log's fsync runs in the thread pool: a write asked for meanwhile waits, a read does not.
      const during = commits.run('committed', insert('during'));
      commits.flush();
      await new Promise((resolve) => setImmediate(resolve));
      expect(values()).toHaveLength(rows);
      const commitsBefore = synchronousAtCommits.length;
      expect(await during).toBe(rows + 1);
      // Copied, then (once the file is fsynced) truncated: each without an fsync of SQLite's.
      expect(pragmas.slice(pragmas.indexOf('synchronous = OFF'))).toEqual(['synchronous = OFF', 'wal_checkpoint(PASSIVE)', 'wal_checkpoint(TRUNCATE)']);
      // Folded and truncated; then the first commit wrote a new log of one commit, its header unsynced (OFF).
      expect(walBytes()).toBeLessThan(CHECKPOINT_LOG_BYTES / 100);
      expect(values()).toHaveLength(rows + 1);
      await commits.run('committed', insert('after'));
      await commits.run('synced', insert('account'));
      expect(synchronousAtCommits.slice(commitsBefore)).toEqual([0, 1, 2]);
    });

    it('lets a reader that must see every write asked for wait for the checkpoint, then commits for it', async () => {
      await fillLog();
      commits.tendLog();
      const asked = commits.run('committed', insert('asked before the read'));
      await commits.commitQueued();
      expect(values()).toContain('asked before the read');
      await asked;
    });

    it('leaves a log under the mark to the once-a-second fsync: no checkpoint', async () => {
      await commits.run('committed', insert('a'));
      commits.tendLog();
      await commits.run('committed', insert('b'));
      expect(pragmas).not.toContain('wal_checkpoint(TRUNCATE)');
    });

    it('commits what waits when it closes in the middle of a checkpoint', async () => {
      await fillLog();
      commits.tendLog();
      const asked = commits.run('committed', insert('last'));
      commits.close();
      expect(await asked).toBe(values().length);
      expect(values()).toContain('last');
    });
  });
});
