"""Server-side cursors: a result is computed whole, then handed out in batches through getMore."""
import itertools

from bson.int64 import Int64

from errors import CommandError

DEFAULT_FIRST_BATCH = 101


class Cursors:
    def __init__(self):
        self._open = {}
        self._ids = itertools.count(1)

    def first_batch(self, namespace, docs, batch_size=None, single_batch=False):
        size = DEFAULT_FIRST_BATCH if batch_size is None else batch_size
        batch, rest = docs[:size], docs[size:]
        cursor_id = 0
        if rest and not single_batch:
            cursor_id = next(self._ids)
            self._open[cursor_id] = (namespace, rest)
        return {'cursor': {'firstBatch': batch, 'id': Int64(cursor_id), 'ns': namespace}}

    def next_batch(self, cursor_id, batch_size=None):
        if cursor_id not in self._open:
            raise CommandError(43, 'CursorNotFound', 'cursor id %d not found' % cursor_id)
        namespace, docs = self._open.pop(cursor_id)
        size = len(docs) if not batch_size else batch_size
        batch, rest = docs[:size], docs[size:]
        if rest:
            self._open[cursor_id] = (namespace, rest)
        return {'cursor': {'nextBatch': batch, 'id': Int64(cursor_id if rest else 0), 'ns': namespace}}

    def kill(self, cursor_ids):
        killed = [cursor_id for cursor_id in cursor_ids if self._open.pop(cursor_id, None) is not None]
        unknown = [cursor_id for cursor_id in cursor_ids if cursor_id not in killed]
        return {'cursorsKilled': killed, 'cursorsNotFound': unknown, 'cursorsAlive': [], 'cursorsUnknown': []}
