/** Set by the global setup to the MongoDB the tests may use; unset when there is none. */
export const MONGO_URI_VARIABLE = 'PRESENCE_TEST_MONGODB_URI';
/** Set with it: where that MongoDB came from, for the log and for the tests only the emulator can pass. */
export const MONGO_KIND_VARIABLE = 'PRESENCE_TEST_MONGODB_KIND';

export type MongoKind = 'MONGODB_URI' | 'mongod' | 'emulator';

export function mongoTestUri(): string | undefined {
  return process.env[MONGO_URI_VARIABLE] || undefined;
}

export function mongoTestKind(): MongoKind | undefined {
  return (process.env[MONGO_KIND_VARIABLE] as MongoKind | undefined) || undefined;
}
