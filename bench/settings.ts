/** The bench's settings, read once from the environment (see the header of bench/run.ts and docs/benchmarks.md). */

export function intEnv(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer ≥ ${min}, got "${raw}"`);
  return value;
}

const seconds = intEnv('BENCH_SECONDS', 10);

/** The poll scenarios' load. */
export const settings = {
  users: intEnv('BENCH_USERS', 10_000, 2),
  largeUsers: intEnv('BENCH_USERS_LARGE', 100_000, 2),
  seconds,
  connections: intEnv('BENCH_CONNECTIONS', 50),
  rounds: intEnv('BENCH_ROUNDS', 2),
  warmupSeconds: intEnv('BENCH_WARMUP_SECONDS', Math.min(2, seconds), 0),
  profile: (process.env.BENCH_PROFILE === '1' ? 'all' : process.env.BENCH_PROFILE === 'missed' ? 'missed' : 'off') as 'all' | 'missed' | 'off',
};

/** How long one poll scenario may take, all runs and start-up included; children die after it whatever happens. */
export function scenarioBudgetMs(): number {
  return (3 * settings.warmupSeconds + 3 * settings.rounds * (settings.seconds + 5)) * 1000 + 300_000;
}

/**
 * BENCH_SCENARIOS: a comma-separated list of scenario names (`1,ids,S`); unset or empty, all of them.
 * @param known every scenario's name, in the order they run
 */
export function selectedScenarioNames(known: readonly string[]): string[] {
  const raw = process.env.BENCH_SCENARIOS;
  if (raw === undefined || raw.trim() === '') return [...known];
  const names = raw.split(',').map((name) => name.trim()).filter((name) => name !== '');
  const unknown = names.filter((name) => !known.includes(name));
  if (unknown.length > 0) throw new Error(`BENCH_SCENARIOS: no scenario ${unknown.join(', ')} (there are ${known.join(', ')})`);
  return known.filter((name) => names.includes(name));
}
