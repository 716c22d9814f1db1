// Plain JavaScript: jest loads reporters without transpiling them.

/** The `describe.each(storeKinds())` blocks are named "… ($name store)" or "… on $name store"; the emulator's own suite "… (mongo server)". */
const MONGO_TEST = /\bmongo (store|server)\b/;
const STORE_TEST = /\((memory|mongo) store\)/;

/**
 * Prints how many MongoDB tests ran, and against what, after jest's own summary. In CI (CI set) a run that included
 * the store suites without one passing MongoDB test fails: a green CI must mean the MongoDB halves ran.
 */
class MongoTestCountReporter {
  constructor() {
    this.error = undefined;
  }

  onRunComplete(_contexts, results) {
    const tests = results.testResults.flatMap((file) => file.testResults);
    const mongo = tests.filter((test) => MONGO_TEST.test(test.fullName));
    const count = (...statuses) => mongo.filter((test) => statuses.includes(test.status)).length;
    const passed = count('passed');
    const seconds = mongo.reduce((sum, test) => sum + (test.duration ?? 0), 0) / 1000;
    const kind = process.env.PRESENCE_TEST_MONGODB_KIND || 'no server';
    process.stdout.write(
      `MongoDB suites (${kind}): ${passed} passed, ${count('failed')} failed, ${count('pending', 'skipped', 'todo', 'disabled')} skipped, ${seconds.toFixed(1)} s in MongoDB tests\n`,
    );
    if (process.env.CI && passed === 0 && tests.some((test) => STORE_TEST.test(test.fullName))) {
      this.error = new Error('MongoDB suites: the store suites ran in CI but no MongoDB test passed');
      process.stdout.write(`${this.error.message}\n`);
    }
  }

  getLastError() {
    return this.error;
  }
}

module.exports = MongoTestCountReporter;
