"""findAndModify (findOneAndUpdate, findOneAndReplace, findOneAndDelete), replying {lastErrorObject, value} as mongod."""
from errors import CommandError
from writes import apply_update


def find_and_modify(engine, db, cmd):
    coll = cmd['findAndModify']
    collection = engine.collection(db, coll)
    query, projection = cmd.get('query') or {}, cmd.get('fields') or cmd.get('projection') or None
    if cmd.get('remove') and cmd.get('update') is not None:
        raise CommandError(9, 'FailedToParse', 'Cannot specify both an update and remove=true')
    if not cmd.get('remove') and cmd.get('update') is None:
        raise CommandError(9, 'FailedToParse', 'Either an update or remove=true must be specified')
    cursor = collection.find(query, {'_id': 1})
    if cmd.get('sort'):
        cursor = cursor.sort(list(cmd['sort'].items()))
    target = next(iter(cursor.limit(1)), None)
    if target is not None:
        by_id = {'_id': target['_id']}
        before = collection.find_one(by_id, projection)
        if cmd.get('remove'):
            collection.delete_one(by_id)
            return {'lastErrorObject': {'n': 1}, 'value': before}
        apply_update(engine, db, coll, by_id, cmd['update'], array_filters=cmd.get('arrayFilters'))
        value = collection.find_one(by_id, projection) if cmd.get('new') else before
        return {'lastErrorObject': {'n': 1, 'updatedExisting': True}, 'value': value}
    if cmd.get('upsert') and not cmd.get('remove'):
        result = apply_update(engine, db, coll, query, cmd['update'], upsert=True, array_filters=cmd.get('arrayFilters'))
        value = collection.find_one({'_id': result.upserted_id}, projection) if cmd.get('new') else None
        return {'lastErrorObject': {'n': 1, 'updatedExisting': False, 'upserted': result.upserted_id}, 'value': value}
    return {'lastErrorObject': {'n': 0, 'updatedExisting': False} if not cmd.get('remove') else {'n': 0}, 'value': None}


COMMANDS = {'findAndModify': find_and_modify}
