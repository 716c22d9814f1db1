import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * A suite that needs a Debian binary (`.ci/run` installs it when missing): in CI its absence fails the suite, on a
 * developer's machine the suite is skipped with one line saying how to get it.
 */
export function describeWithBinary(binary: string, debianPackage: string, title: string, suite: () => void): void {
  if (existsSync(binary)) {
    describe(title, suite);
    return;
  }
  if (process.env.CI) {
    describe(title, () => {
      it(`needs ${binary}`, () => {
        throw new Error(`${binary} is missing: .ci/run installs it (apt-get install ${debianPackage})`);
      });
    });
    return;
  }
  process.stdout.write(`\n${title}: skipped, ${binary} is missing (apt-get install ${debianPackage})\n`);
  describe.skip(title, suite);
}

/** A TCP port free on 127.0.0.1 a moment ago, for a server that cannot be told to pick its own (nginx, Prometheus). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** A child process whose output is kept for failure messages, and that `stop` ends (SIGTERM, SIGKILL after 5 s). */
export interface RunningProcess {
  readonly child: ChildProcess;
  output(): string;
  /** Throws, with the output, if the process has already exited. */
  assertRunning(): void;
  stop(): Promise<void>;
}

export function startProcess(command: string, args: string[]): RunningProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-20000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    output: () => output,
    assertRunning() {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${command} exited (${child.exitCode ?? child.signalCode}):\n${output}`);
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      // Real time: a child that ignores SIGTERM (a wedged nginx or Prometheus) is killed after 5 s of the wall clock.
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
    },
  };
}
