"""insert, update and delete, answered like mongod: per-statement writeErrors, never a failed command."""
import mongomock
from bson import ObjectId

from errors import CommandError, DuplicateKey, unsupported


def _write_error(index, error):
    if isinstance(error, DuplicateKey):
        return {'index': index, **error.fields}
    if isinstance(error, CommandError):
        return {'index': index, **{k: v for k, v in error.reply.items() if k != 'ok'}}
    if isinstance(error, NotImplementedError):
        return {'index': index, 'code': 115, 'codeName': 'CommandNotSupported', 'errmsg': 'not supported by the MongoDB test emulator: %s' % error}
    return {'index': index, 'code': getattr(error, 'code', None) or 2, 'errmsg': str(error)}


# Engine failures that belong to one statement; anything else is an emulator bug and fails the command.
STATEMENT_ERRORS = (DuplicateKey, CommandError, NotImplementedError, mongomock.OperationFailure, ValueError)


def _statements(cmd, key, run):
    """Runs each statement, stopping at the first error when the batch is ordered, as mongod does."""
    results, errors = [], []
    for index, statement in enumerate(cmd.get(key, [])):
        try:
            results.append((index, run(statement)))
        except STATEMENT_ERRORS as error:
            errors.append(_write_error(index, error))
            if cmd.get('ordered', True):
                break
    return results, ({'writeErrors': errors} if errors else {})


def insert(engine, db, cmd):
    coll = cmd['insert']
    collection = engine.collection(db, coll)

    def insert_one(doc):
        doc.setdefault('_id', ObjectId())
        if collection.find_one({'_id': doc['_id']}, {'_id': 1}) is not None:
            raise DuplicateKey('%s.%s' % (db, coll), '_id_', {'_id': 1}, {'_id': doc['_id']})
        engine.ensure_unique(db, coll, [doc])
        collection.insert_one(doc)

    results, errors = _statements(cmd, 'documents', insert_one)
    return {'n': len(results), **errors}


def _overlap(a, b):
    return a == b or a.startswith(b + '.') or b.startswith(a + '.')


def _may_change_unique_keys(engine, db, coll, update):
    """Whether an update may change a key of a unique index: a replacement may, an operator update only through the
    paths it names. Checking every other document costs a copy of the collection per statement, so it is skipped
    where no unique key can have changed (a presence write, a bulk of records)."""
    if not any(key.startswith('$') for key in update):
        return True
    touched = [path for fields in update.values() if isinstance(fields, dict) for path in fields]
    touched += [target for target in (update.get('$rename') or {}).values() if isinstance(target, str)]
    unique = [field for spec in engine.indexes.specs(db, coll) if spec.get('unique') for field in spec['key']]
    return any(_overlap(path.replace('.$[]', '').split('.$')[0], field) for path in touched for field in unique)


def apply_update(engine, db, coll, query, update, multi=False, upsert=False, array_filters=None):
    """One update statement; undone when it breaks a unique index. Returns mongomock's UpdateResult."""
    collection = engine.collection(db, coll)
    if isinstance(update, list):
        return _apply_pipeline(engine, db, coll, query, update, multi, upsert)
    originals = list(collection.find(query) if multi else collection.find(query).limit(1))
    if not any(key.startswith('$') for key in update):
        if multi:
            raise CommandError(9, 'FailedToParse', 'multi update is not supported for replacement-style update')
        result = collection.replace_one(query, update, upsert=upsert)
    else:
        options = {'upsert': upsert, **({'array_filters': array_filters} if array_filters else {})}
        result = (collection.update_many if multi else collection.update_one)(query, update, **options)
    if result.upserted_id is None and not _may_change_unique_keys(engine, db, coll, update):
        return result
    changed = [doc['_id'] for doc in originals] + ([result.upserted_id] if result.upserted_id is not None else [])
    try:
        engine.ensure_unique(db, coll, list(collection.find({'_id': {'$in': changed}})))
    except DuplicateKey:
        for original in originals:
            collection.replace_one({'_id': original['_id']}, original)
        if result.upserted_id is not None:
            collection.delete_one({'_id': result.upserted_id})
        raise
    return result


class _NoMatch:
    matched_count = 0
    modified_count = 0
    upserted_id = None


_NO_MATCH = _NoMatch()


def _apply_pipeline(engine, db, coll, query, pipeline, multi, upsert):
    """An update with an aggregation pipeline (MongoDB 4.2+), on one existing document: the document as the pipeline
    leaves it replaces it, as mongod does. Not for several documents or an upsert (nothing here sends those)."""
    if multi or upsert:
        raise unsupported('An update with an aggregation pipeline on several documents, or an upsert')
    collection = engine.collection(db, coll)
    original = next(iter(collection.find(query).limit(1)), None)
    if original is None:
        return _NO_MATCH
    updated = list(collection.aggregate([{'$match': {'_id': original['_id']}}] + pipeline))[0]
    result = collection.replace_one({'_id': original['_id']}, updated)
    try:
        engine.ensure_unique(db, coll, [updated])
    except DuplicateKey:
        collection.replace_one({'_id': original['_id']}, original)
        raise
    return result


def update(engine, db, cmd):
    coll = cmd['update']

    def update_one(statement):
        return apply_update(engine, db, coll, statement.get('q') or {}, statement['u'], statement.get('multi', False),
                            statement.get('upsert', False), statement.get('arrayFilters'))

    results, errors = _statements(cmd, 'updates', update_one)
    upserted = [{'index': index, '_id': result.upserted_id} for index, result in results if result.upserted_id is not None]
    reply = {
        'n': sum(result.matched_count for _, result in results) + len(upserted),
        'nModified': sum(result.modified_count for _, result in results),
        **errors,
    }
    return {**reply, 'upserted': upserted} if upserted else reply


def delete(engine, db, cmd):
    collection = engine.collection(db, cmd['delete'])

    def delete_one(statement):
        remove = collection.delete_many if statement.get('limit', 0) == 0 else collection.delete_one
        return remove(statement.get('q') or {}).deleted_count

    results, errors = _statements(cmd, 'deletes', delete_one)
    return {'n': sum(n for _, n in results), **errors}


COMMANDS = {'insert': insert, 'update': update, 'delete': delete}
