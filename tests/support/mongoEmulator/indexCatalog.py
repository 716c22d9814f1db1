"""Index metadata per collection, kept outside mongomock (which would expire TTL documents against the wall clock
and reports duplicates without details). TTL indexes are recorded and listed, but never remove documents."""
from collections import OrderedDict

from errors import CommandError

ID_INDEX = OrderedDict([('v', 2), ('key', {'_id': 1}), ('name', '_id_')])

# The options that make two indexes on the same key different; others (background, v, ns) do not.
DISTINGUISHING_OPTIONS = ('unique', 'sparse', 'expireAfterSeconds', 'partialFilterExpression', 'collation', 'hidden')


def _options(spec):
    return {name: spec[name] for name in DISTINGUISHING_OPTIONS if spec.get(name) is not None and spec.get(name) is not False}


def _same_key(a, b):
    """Same key pattern and same collation: mongod allows one index per pair, so several collations on one key."""
    return list(a['key'].items()) == list(b['key'].items()) and _collation(a) == _collation(b)


def _collation(spec):
    collation = spec.get('collation') or {}
    return (collation.get('locale', 'simple'), collation.get('strength', 3)) if collation.get('locale', 'simple') != 'simple' else None


class IndexCatalog:
    def __init__(self):
        self._specs = {}

    def specs(self, db, coll):
        """The indexes besides _id_, in creation order."""
        return list(self._specs.get((db, coll), {}).values())

    def listed(self, db, coll):
        return [ID_INDEX] + self.specs(db, coll)

    def check_new(self, db, coll, spec):
        """False when the same index exists already (a no-op, as in mongod); raises on a conflicting one."""
        if spec['name'] == '_id_' or list(spec['key']) == ['_id']:
            return False
        for existing in self.specs(db, coll):
            if existing['name'] == spec['name'] and not _same_key(existing, spec):
                if list(existing['key'].items()) == list(spec['key'].items()):
                    raise CommandError(85, 'IndexOptionsConflict', 'An existing index has the same name as the requested index but different options. Requested index: %r, existing index: %r' % (dict(spec), dict(existing)))
                raise CommandError(86, 'IndexKeySpecsConflict', 'An existing index has the same name as the requested index but a different key. Requested index: %r, existing index: %r' % (dict(spec), dict(existing)))
            if _same_key(existing, spec) and _options(existing) != _options(spec):
                raise CommandError(85, 'IndexOptionsConflict', 'An equivalent index already exists with the same name but different options. Requested index: %r, existing index: %r' % (dict(spec), dict(existing)))
            if _same_key(existing, spec):
                if existing['name'] != spec['name']:
                    raise CommandError(85, 'IndexOptionsConflict', 'Index already exists with a different name: %s' % existing['name'])
                return False
        return True

    def add(self, db, coll, spec):
        stored = OrderedDict([('v', 2), ('key', OrderedDict(spec['key'])), ('name', spec['name'])])
        stored.update(_options(spec))
        self._specs.setdefault((db, coll), OrderedDict())[spec['name']] = stored

    def find(self, db, coll, selector):
        """The index named by a name or a key pattern, as dropIndexes and collMod accept either."""
        for spec in self.specs(db, coll):
            if spec['name'] == selector or (isinstance(selector, dict) and list(spec['key'].items()) == list(selector.items())):
                return spec
        raise CommandError(27, 'IndexNotFound', 'index not found with name or key [%r]' % (selector,))

    def remove(self, db, coll, name):
        del self._specs[(db, coll)][name]

    def drop_collection(self, db, coll):
        self._specs.pop((db, coll), None)

    def drop_database(self, db):
        for namespace in [namespace for namespace in self._specs if namespace[0] == db]:
            del self._specs[namespace]
