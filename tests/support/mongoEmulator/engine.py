"""The state every connection shares: one mongomock client, the index catalog and the open cursors."""
import mongomock

from cursors import Cursors
from indexCatalog import IndexCatalog
from uniqueness import ensure_unique


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
