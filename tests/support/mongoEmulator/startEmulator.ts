import { spawn } from 'node:child_process';
import path from 'node:path';

/** Debian's interpreter, which sees python3-mockupdb and python3-mongomock (a virtualenv's python may not). */
export const EMULATOR_PYTHON = '/usr/bin/python3';
const SERVER_SCRIPT = path.join(__dirname, 'server.py');
const READY_LINE = /^listening on (\S+):(\d+)$/m;

export interface RunningEmulator {
  uri: string;
  stop(): Promise<void>;
}

/**
 * Starts tests/support/mongoEmulator/server.py on a free port and resolves once it accepts connections. The server
 * exits when its stdin closes, so it cannot outlive this process even when the teardown never runs.
 */
export function startEmulator(timeoutMs = 10000, options: { replicaSet?: string } = {}): Promise<RunningEmulator> {
  const args = options.replicaSet === undefined ? [] : ['--replica-set', options.replicaSet];
  const child = spawn(EMULATOR_PYTHON, ['-B', SERVER_SCRIPT, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stdout = '';
  let stderr = '';
  return new Promise<RunningEmulator>((resolve, reject) => {
    const fail = (reason: string) => {
      clearTimeout(timer);
      child.kill();
      reject(new Error(reason));
    };
    const timer = setTimeout(() => fail(`the MongoDB emulator did not start within ${timeoutMs / 1000} s`), timeoutMs);
    child.once('error', (error) => fail(`${EMULATOR_PYTHON}: ${error.message}`));
    const onExit = (code: number | null) => fail(`the MongoDB emulator exited (${code}): ${stderr.trim().split('\n').pop() ?? ''}`);
    const onStderr = (chunk: Buffer) => {
      stderr += chunk.toString();
    };
    const onStdout = (chunk: Buffer) => {
      stdout += chunk.toString();
      const ready = READY_LINE.exec(stdout);
      if (ready === null) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      child.stdout.off('data', onStdout).resume();
      // From here on the server's own errors (an emulator bug's traceback) belong in the test log.
      child.stderr.off('data', onStderr).pipe(process.stderr);
      const stop = async () => {
        child.stdin.end();
        const killer = setTimeout(() => child.kill(), 2000);
        await exited;
        clearTimeout(killer);
      };
      const query = options.replicaSet === undefined ? '' : `?replicaSet=${options.replicaSet}`;
      resolve({ uri: `mongodb://${ready[1]}:${ready[2]}/${query}`, stop });
    };
    child.once('exit', onExit);
    child.stderr.on('data', onStderr);
    child.stdout.on('data', onStdout);
  });
}
