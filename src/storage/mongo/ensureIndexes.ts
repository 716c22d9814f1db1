import type { Schema } from 'mongoose';

/** mongod's answers to an index that exists already under other options or another name. */
const INDEX_CONFLICTS = new Set([85, 86]);

/** What ensureIndexes needs of a model: its schema's declared indexes, and a way to create one. */
interface IndexedModel {
  schema: Schema;
  collection: { createIndex(keys: Record<string, 1>, options: Record<string, unknown>): Promise<unknown> };
}

/**
 * Creates each index the schema declares that the collection lacks. One already there with the same keys and
 * options is left as it is (a no-op), and so is one on the same keys that Rocket.Chat created with other options:
 * never dropped or changed, it serves the same queries. (syncIndexes would drop a Rocket.Chat index the schema does
 * not declare.)
 */
export async function ensureIndexes(model: IndexedModel): Promise<void> {
  for (const [keys, options] of model.schema.indexes()) {
    try {
      await model.collection.createIndex(keys as Record<string, 1>, options as Record<string, unknown>);
    } catch (error) {
      if (!INDEX_CONFLICTS.has((error as { code?: number }).code ?? 0)) throw error;
    }
  }
}
