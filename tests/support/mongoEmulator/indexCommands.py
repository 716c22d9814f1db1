"""createIndexes, listIndexes, dropIndexes and collMod (a TTL index's expireAfterSeconds), over the index catalog."""
from errors import CommandError
from uniqueness import ensure_unique


def _ensure_collection(engine, db, coll):
    created = not engine.exists(db, coll)
    if created:
        engine.client[db].create_collection(coll)
    return created


def create_indexes(engine, db, cmd):
    coll = cmd['createIndexes']
    created_collection = _ensure_collection(engine, db, coll)
    before = len(engine.indexes.listed(db, coll))
    for spec in cmd.get('indexes', []):
        if 'name' not in spec:
            raise CommandError(9, 'FailedToParse', 'An index specification must have a name')
        if engine.indexes.check_new(db, coll, spec):
            docs = list(engine.collection(db, coll).find({}))
            # An existing pair of duplicates fails the build, as in mongod.
            ensure_unique('%s.%s' % (db, coll), [spec], [], docs)
            engine.indexes.add(db, coll, spec)
    after = len(engine.indexes.listed(db, coll))
    reply = {'numIndexesBefore': before, 'numIndexesAfter': after, 'createdCollectionAutomatically': created_collection}
    return reply if after > before else {**reply, 'note': 'all indexes already exist'}


def list_indexes(engine, db, cmd):
    coll = cmd['listIndexes']
    if not engine.exists(db, coll):
        raise CommandError(26, 'NamespaceNotFound', 'ns does not exist: %s.%s' % (db, coll))
    return engine.cursors.first_batch('%s.%s' % (db, coll), engine.indexes.listed(db, coll), (cmd.get('cursor') or {}).get('batchSize'))


def drop_indexes(engine, db, cmd):
    coll, which = cmd['dropIndexes'], cmd.get('index')
    if not engine.exists(db, coll):
        raise CommandError(26, 'NamespaceNotFound', 'ns not found %s.%s' % (db, coll))
    was = len(engine.indexes.listed(db, coll))
    if which == '*':
        names = [spec['name'] for spec in engine.indexes.specs(db, coll)]
    else:
        names = [engine.indexes.find(db, coll, selector)['name'] for selector in (which if isinstance(which, list) else [which])]
    for name in names:
        engine.indexes.remove(db, coll, name)
    return {'nIndexesWas': was}


def coll_mod(engine, db, cmd):
    coll, change = cmd['collMod'], cmd.get('index')
    if not engine.exists(db, coll):
        raise CommandError(26, 'NamespaceNotFound', 'ns does not exist: %s.%s' % (db, coll))
    if not change:
        return {}
    spec = engine.indexes.find(db, coll, change.get('name') or change.get('keyPattern'))
    if 'expireAfterSeconds' not in change:
        return {}
    if 'expireAfterSeconds' not in spec:
        raise CommandError(72, 'InvalidOptions', 'no expireAfterSeconds field to update')
    old, spec['expireAfterSeconds'] = spec['expireAfterSeconds'], change['expireAfterSeconds']
    return {'expireAfterSeconds_old': old, 'expireAfterSeconds_new': spec['expireAfterSeconds']}


COMMANDS = {
    'createIndexes': create_indexes,
    'listIndexes': list_indexes,
    'dropIndexes': drop_indexes,
    'collMod': coll_mod,
}
