/** Set by the global setup to the MongoDB the tests may use; unset when there is none. */
export const MONGO_URI_VARIABLE = 'PRESENCE_TEST_MONGODB_URI';

export function mongoTestUri(): string | undefined {
  return process.env[MONGO_URI_VARIABLE] || undefined;
}
