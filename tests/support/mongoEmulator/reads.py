"""find, getMore, killCursors, count, distinct and aggregate."""
import re

from errors import CommandError, unsupported
from uniqueness import case_insensitive


def _insensitive(value):
    return re.compile('^%s$' % re.escape(value), re.IGNORECASE) if isinstance(value, str) else value


def _collated(filter_, collation):
    """A filter whose string equalities ignore case, as under a collation of strength 1 or 2 (mongomock has none)."""
    if not case_insensitive(collation):
        return filter_
    collated = {}
    for field, condition in filter_.items():
        if field in ('$and', '$or', '$nor'):
            collated[field] = [_collated(branch, collation) for branch in condition]
        elif isinstance(condition, dict) and set(condition) == {'$eq'}:
            collated[field] = _insensitive(condition['$eq'])
        elif isinstance(condition, dict) and set(condition) == {'$in'}:
            collated[field] = {'$in': [_insensitive(value) for value in condition['$in']]}
        else:
            collated[field] = _insensitive(condition)
    return collated


def _sorted(cursor, sort):
    return cursor.sort(list(sort.items())) if sort else cursor


def find(engine, db, cmd):
    coll = cmd['find']
    cursor = engine.collection(db, coll).find(_collated(cmd.get('filter') or {}, cmd.get('collation')), cmd.get('projection') or None)
    cursor = _sorted(cursor, cmd.get('sort'))
    if cmd.get('skip'):
        cursor = cursor.skip(cmd['skip'])
    limit = cmd.get('limit') or 0
    if limit:
        cursor = cursor.limit(abs(limit))
    single_batch = cmd.get('singleBatch', False) or limit < 0
    return engine.cursors.first_batch('%s.%s' % (db, coll), list(cursor), cmd.get('batchSize'), single_batch)


def get_more(engine, db, cmd):
    return engine.cursors.next_batch(int(cmd['getMore']), cmd.get('batchSize'))


def kill_cursors(engine, db, cmd):
    return engine.cursors.kill([int(cursor_id) for cursor_id in cmd.get('cursors', [])])


def count(engine, db, cmd):
    options = {name: cmd[name] for name in ('skip', 'limit') if cmd.get(name)}
    return {'n': engine.collection(db, cmd['count']).count_documents(cmd.get('query') or {}, **options)}


def distinct(engine, db, cmd):
    return {'values': engine.collection(db, cmd['distinct']).distinct(cmd['key'], cmd.get('query') or {})}


def aggregate(engine, db, cmd):
    coll, pipeline = cmd['aggregate'], cmd.get('pipeline', [])
    if any('$changeStream' in stage for stage in pipeline):
        raise CommandError(40573, 'Location40573', 'The $changeStream stage is only supported on replica sets (the MongoDB test emulator is a standalone)')
    if not isinstance(coll, str):
        raise unsupported('A database-level aggregate')
    if cmd.get('explain'):
        raise unsupported('explain')
    docs = list(engine.collection(db, coll).aggregate(pipeline))
    return engine.cursors.first_batch('%s.%s' % (db, coll), docs, (cmd.get('cursor') or {}).get('batchSize'))


COMMANDS = {
    'find': find,
    'getMore': get_more,
    'killCursors': kill_cursors,
    'count': count,
    'distinct': distinct,
    'aggregate': aggregate,
}
