import type { AccountOptions } from '../domain/services/accountService';
import type { Config } from './loadConfig';

export type AccountConfig = Pick<Config, 'cacheMaxAgeMs' | 'authCacheMaxEntries' | 'loginExpirationDays' | 'loginRateLimit' | 'loginRateWindowSeconds'>;

/**
 * The account service's settings from the configuration. One-off work (start-up's admin, the admin command) checks
 * no token twice, so it keeps no verified tokens (`cacheTokens: false`).
 */
export function accountOptionsOf(config: AccountConfig, { cacheTokens }: { cacheTokens: boolean }): AccountOptions {
  return {
    authCacheTtlMs: cacheTokens ? config.cacheMaxAgeMs : 0,
    authCacheMaxEntries: cacheTokens ? config.authCacheMaxEntries : 0,
    loginExpirationDays: config.loginExpirationDays,
    loginAttemptLimit: config.loginRateLimit,
    loginAttemptWindowMs: config.loginRateWindowSeconds * 1000,
  };
}
