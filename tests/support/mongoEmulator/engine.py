"""The state every connection shares: one mongomock client, the index catalog and the open cursors."""
import bson
import mongomock
from mongomock.collection import Collection

from cursors import Cursors
from indexCatalog import IndexCatalog
from uniqueness import ensure_unique


_scan_every_document = Collection._iter_documents


def _iter_documents(self, filter):
    """mongomock tests every document against every filter; a filter naming one string or ObjectId `_id` (as
    every single-document write here does) can only match the document stored under it, which is all it tests."""
    wanted = filter.get('_id') if isinstance(filter, dict) else None
    if isinstance(wanted, dict) and list(wanted) == ['$eq']:
        wanted = wanted['$eq']
    if not isinstance(wanted, (str, bson.ObjectId)) or self._store.is_empty:
        return _scan_every_document(self, filter)
    candidates = [self._store[wanted]] if wanted in self._store else []
    return (document for document in candidates if mongomock.filtering.filter_applies(filter, document))


Collection._iter_documents = _iter_documents


class Engine:
    def __init__(self):
        self.client = mongomock.MongoClient()
        self.indexes = IndexCatalog()
        self.cursors = Cursors()
        # {'name', 'host'} when it presents itself as a one-member replica set; None for a standalone.
        self.replica_set = None

    def collection(self, db, name):
        return self.client[db][name]

    def exists(self, db, name):
        return name in self.client[db].list_collection_names()

    def ensure_unique(self, db, name, candidates):
        """Checks candidate documents (new or just changed) against every other document of the collection."""
        ids = {doc['_id'] for doc in candidates}
        others = [doc for doc in self.collection(db, name).find({}) if doc['_id'] not in ids]
        ensure_unique('%s.%s' % (db, name), self.indexes.specs(db, name), others, candidates)
