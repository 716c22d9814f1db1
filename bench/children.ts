/** Starting, talking to and stopping the bench's child processes; none of them may outlive the bench. */
import { fork, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';

const live = new Set<ChildProcess>();

function killAll(): void {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  live.clear();
}

// Whatever way the bench ends, its children end with it.
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    process.stderr.write(`\nbench: ${signal}, stopping the child processes\n`);
    killAll();
    process.exit(130);
  });
}

export interface Child {
  process: ChildProcess;
  /** Resolves with the first message of this type, rejects if the child exits first or `timeoutMs` passes. */
  next<T extends { type: string }>(type: T['type'], timeoutMs: number): Promise<T>;
  send(message: object): void;
  /** Asks for a clean exit (so --cpu-prof writes its profile), then kills it if it has not gone in `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export function startChild(modulePath: string, options: { args?: string[]; execArgv?: string[]; env: NodeJS.ProcessEnv; quietStdout: boolean; label: string }): Child {
  const stdout = options.quietStdout ? openSync('/dev/null', 'w') : 'ignore';
  const child = fork(modulePath, options.args ?? [], {
    execArgv: options.execArgv ?? [],
    env: options.env,
    stdio: ['ignore', stdout, 'inherit', 'ipc'],
  });
  // The child has its own copy of the descriptor now.
  if (typeof stdout === 'number') closeSync(stdout);
  live.add(child);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      live.delete(child);
      resolve();
    });
  });

  return {
    process: child,
    next<T extends { type: string }>(type: T['type'], timeoutMs: number): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const onMessage = (message: T) => {
          if (message?.type !== type) return;
          cleanUp();
          resolve(message);
        };
        const onExit = (code: number | null, signal: string | null) => {
          cleanUp();
          reject(new Error(`${options.label} exited (code ${code}, signal ${signal}) before sending "${type}"`));
        };
        const timer = setTimeout(() => {
          cleanUp();
          reject(new Error(`${options.label} sent no "${type}" within ${timeoutMs} ms`));
        }, timeoutMs);
        const cleanUp = () => {
          clearTimeout(timer);
          child.off('message', onMessage);
          child.off('exit', onExit);
        };
        child.on('message', onMessage);
        child.once('exit', onExit);
      });
    },
    send(message: object): void {
      if (child.connected) child.send(message);
    },
    async stop(graceMs = 10_000): Promise<void> {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (child.connected) child.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
