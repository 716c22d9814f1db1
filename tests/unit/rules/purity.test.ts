import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The rules folder holds pure functions only: what they decide depends on their arguments alone, so each is tested
 * by a table and every caller gets the same answer. Hashing, randomness, the time and I/O belong to services and
 * adapters (time comes from the injected Clock). A source scan: a new rule reaching for any of them fails here.
 */
const RULES_DIR = path.join(__dirname, '..', '..', '..', 'src', 'domain', 'rules');

const FORBIDDEN: { what: string; pattern: RegExp }[] = [
  { what: 'hashing or randomness (crypto)', pattern: /from\s+['"](node:)?crypto['"]|require\(\s*['"](node:)?crypto['"]\s*\)/ },
  { what: 'bcrypt', pattern: /bcrypt(js)?['"]/ },
  { what: 'I/O (files, network, processes, stores)', pattern: /from\s+['"](node:)?(fs|fs\/promises|http|https|net\/promises|dgram|child_process|worker_threads)['"]|from\s+['"](mongoose|mongodb|better-sqlite3)['"]/ },
  { what: 'an import from the storage or HTTP layers', pattern: /from\s+['"][./]*(storage|http)\// },
  { what: 'the current time (Date.now)', pattern: /\bDate\.now\s*\(/ },
  { what: 'the current time (new Date without an argument)', pattern: /\bnew\s+Date\s*\(\s*\)/ },
  { what: 'randomness (Math.random)', pattern: /\bMath\.random\s*\(/ },
];

/** Comments may name what the code must not do. */
function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

const ruleFiles = readdirSync(RULES_DIR).filter((file) => file.endsWith('.ts'));

describe('src/domain/rules is pure', () => {
  it('has rule files to check', () => expect(ruleFiles.length).toBeGreaterThan(5));

  it.each(ruleFiles)('%s reaches for no hashing, randomness, clock or I/O', (file) => {
    const source = withoutComments(readFileSync(path.join(RULES_DIR, file), 'utf8'));
    const found = FORBIDDEN.filter(({ pattern }) => pattern.test(source)).map(({ what }) => what);
    expect(found).toEqual([]);
  });

  it.each([
    ["import { createHash } from 'node:crypto';", 'hashing or randomness (crypto)'],
    ["import { randomBytes } from 'crypto';", 'hashing or randomness (crypto)'],
    ["import bcrypt from 'bcryptjs';", 'bcrypt'],
    ["import { readFileSync } from 'node:fs';", 'I/O (files, network, processes, stores)'],
    ["import { SqliteStore } from '../../storage/sqlite/sqliteStore';", 'an import from the storage or HTTP layers'],
    ['const at = Date.now();', 'the current time (Date.now)'],
    ['const at = new Date();', 'the current time (new Date without an argument)'],
    ['const pick = Math.random();', 'randomness (Math.random)'],
  ])('would catch %s', (line, what) => {
    expect(FORBIDDEN.filter(({ pattern }) => pattern.test(withoutComments(line))).map((each) => each.what)).toEqual([what]);
  });

  it('lets a date made from an argument and a comment naming the clock pass', () => {
    const source = withoutComments('// never Date.now(): the caller passes `now`\nconst end = new Date(now.getTime() + ttlMs);');
    expect(FORBIDDEN.filter(({ pattern }) => pattern.test(source))).toEqual([]);
  });
});
