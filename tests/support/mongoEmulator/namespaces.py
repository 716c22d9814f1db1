"""create, drop, dropDatabase, listCollections and listDatabases."""
from mongomock.filtering import filter_applies

from errors import CommandError
from indexCatalog import ID_INDEX


def create(engine, db, cmd):
    if engine.exists(db, cmd['create']):
        raise CommandError(48, 'NamespaceExists', 'Collection %s.%s already exists.' % (db, cmd['create']))
    engine.client[db].create_collection(cmd['create'])
    return {}


def drop(engine, db, cmd):
    coll = cmd['drop']
    if not engine.exists(db, coll):
        return {}
    was = len(engine.indexes.listed(db, coll))
    engine.client[db].drop_collection(coll)
    engine.indexes.drop_collection(db, coll)
    return {'ns': '%s.%s' % (db, coll), 'nIndexesWas': was}


def drop_database(engine, db, cmd):
    engine.client.drop_database(db)
    engine.indexes.drop_database(db)
    return {'dropped': db}


def list_collections(engine, db, cmd):
    infos = [{'name': name, 'type': 'collection', 'options': {}, 'info': {'readOnly': False}, 'idIndex': ID_INDEX}
             for name in engine.client[db].list_collection_names()]
    infos = [info for info in infos if filter_applies(cmd.get('filter') or {}, info)]
    if cmd.get('nameOnly'):
        infos = [{'name': info['name'], 'type': info['type']} for info in infos]
    return engine.cursors.first_batch('%s.$cmd.listCollections' % db, infos, (cmd.get('cursor') or {}).get('batchSize'))


def list_databases(engine, db, cmd):
    names = engine.client.list_database_names()
    if cmd.get('nameOnly'):
        return {'databases': [{'name': name} for name in names]}
    return {'databases': [{'name': name, 'sizeOnDisk': 0, 'empty': False} for name in names], 'totalSize': 0}


COMMANDS = {
    'create': create,
    'drop': drop,
    'dropDatabase': drop_database,
    'listCollections': list_collections,
    'listDatabases': list_databases,
}
