import type { Clock } from './domain/ports/clock';
import type { AccountStore } from './domain/ports/accountStore';
import type { LoginAttemptStore } from './domain/ports/loginAttemptStore';
import type { TicketStore } from './domain/ports/ticketStore';
import { AccountService } from './domain/services/accountService';
import { Passwords } from './domain/services/passwords';
import { BcryptWorkerPool } from './passwords/bcryptWorkerPool';
import { accountOptionsOf, type AccountConfig } from './config/accountOptions';
import type { Config } from './config/loadConfig';

export type AccountsConfig = AccountConfig & Pick<Config, 'passwordWorkers' | 'passwordQueueLimit'>;

/** The account service, the password rules it shares with user administration, and the end of their bcrypt workers. */
export interface Accounts {
  accounts: AccountService;
  passwords: Passwords;
  /** Ends the password workers: after the last request that may check a password. */
  close(): Promise<void>;
}

/**
 * The one place the account service is wired. `service`: the HTTP service's, with PASSWORD_WORKERS and its queue and
 * a cache of verified tokens. `oneOff`: start-up's admin and the admin command, which make at most one hash and check
 * no token twice: one worker (started only if a hash is made), no cache.
 */
export function createAccounts(store: AccountStore & TicketStore & LoginAttemptStore, clock: Clock, config: AccountsConfig, use: 'service' | 'oneOff'): Accounts {
  const service = use === 'service';
  const hasher = new BcryptWorkerPool(service ? { workers: config.passwordWorkers, maxWaiting: config.passwordQueueLimit } : { workers: 1, maxWaiting: 1 });
  const passwords = new Passwords(hasher);
  const accounts = new AccountService(store, clock, accountOptionsOf(config, { cacheTokens: service }), passwords);
  return { accounts, passwords, close: () => hasher.close() };
}
