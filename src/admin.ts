import { ConfigError, loadConfig, type Config } from './config/loadConfig';
import { DomainError, UnknownUserError } from './domain/errors';
import { systemClock, type Clock } from './domain/ports/clock';
import type { Store } from './domain/ports/store';
import { AccountRecovery } from './domain/services/accountRecovery';
import { createStore } from './storage/createStore';
import { DataFileError } from './storage/sqlite/dataFile';
import { createAccounts } from './createAccounts';
import { plainWording } from './http/responses/errorWording';

const USAGE = `usage: npm run admin -- <command> <username>   (or: node dist/src/admin.js <command> <username>)

commands:
  reset-password <username>   a new password for the user; every login token of his ends
  create-admin <username>     an active admin of that name, with a new password: created, or the existing user
                              made an active admin; every login token of his ends

Run on the server, with the service's own environment (MONGODB_URI, or DATA_DIR for the embedded store, which
needs the service stopped). The new password is printed once, to stdout.
`;

export interface AdminIo {
  out(text: string): void;
  err(text: string): void;
}

/** Exit statuses: done, refused (bad arguments, no such user), the store cannot be used (file in use, unreachable). */
export const EXIT = { ok: 0, refused: 1, storeUnavailable: 2 } as const;

/**
 * Runs one admin command with the service's configuration (loadConfig) and store (createStore), as the server
 * would open them, and closes the store. The embedded store's file is one process's at a time: with the service
 * running on it, opening it fails, and nothing is done.
 */
export async function runAdminCommand(args: readonly string[], env: NodeJS.ProcessEnv, io: AdminIo, clock: Clock = systemClock): Promise<number> {
  const [command, username, ...extra] = args;
  if (!['reset-password', 'create-admin'].includes(command ?? '') || username === undefined || username === '' || extra.length > 0) {
    io.err(USAGE);
    return EXIT.refused;
  }
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.err(`${error.message}\n`);
    return EXIT.refused;
  }
  let store: Store;
  try {
    store = await createStore(config);
  } catch (error) {
    if (error instanceof DataFileError) {
      io.err(`${error.message}\nStop the service first: its data file is one process's at a time. Nothing was changed.\n`);
      return EXIT.storeUnavailable;
    }
    io.err(`The store cannot be reached: ${(error as Error).message}\nNothing was changed.\n`);
    return EXIT.storeUnavailable;
  }
  // One worker for the one hash a command makes, ended with the command.
  const { accounts, passwords, close } = createAccounts(store, clock, config, 'oneOff');
  try {
    const recovery = new AccountRecovery(store, clock, accounts, passwords);
    if (command === 'reset-password') {
      const { password, endedTokens } = await recovery.resetPassword(username);
      io.out(`New password for "${username}": ${password}\n`);
      io.err(`${endedTokens} login token(s) of "${username}" ended. The password is shown this once.\n`);
    } else {
      const { password, created, endedTokens } = await recovery.createAdmin(username);
      io.out(`${created ? 'Created admin' : 'Admin'} "${username}" with the password: ${password}\n`);
      io.err(`${created ? 'A new user.' : `An active admin now; ${endedTokens} login token(s) ended.`} The password is shown this once.\n`);
    }
    return EXIT.ok;
  } catch (error) {
    if (error instanceof UnknownUserError) {
      io.err(`No user "${username}". Nothing was changed.\n`);
      return EXIT.refused;
    }
    if (error instanceof DomainError) {
      io.err(`${plainWording(error)}. Nothing was changed.\n`);
      return EXIT.refused;
    }
    throw error;
  } finally {
    await close();
    await store.close();
  }
}

if (require.main === module) {
  runAdminCommand(process.argv.slice(2), process.env, { out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text) })
    .then((status) => {
      process.exitCode = status;
    })
    .catch((error: unknown) => {
      process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = 1;
    });
}
