"""Unique and sparse index enforcement, done here rather than by mongomock so that a violation carries mongod's
keyPattern and keyValue, and so that paths through arrays (emails.address) are indexed as multikey like mongod does."""
import itertools

import bson

from errors import DuplicateKey


def _values_at(value, parts):
    """The values an index sees at a dotted path: arrays on the way and at the end are expanded (multikey)."""
    if not parts:
        if isinstance(value, list):
            return value or [None]
        return [value]
    if isinstance(value, list):
        return [found for item in value for found in _values_at(item, parts)]
    if isinstance(value, dict) and parts[0] in value:
        return _values_at(value[parts[0]], parts[1:])
    return []


def case_insensitive(collation):
    """Whether a collation compares strings regardless of case (strength 1 or 2, a locale other than simple)."""
    collation = collation or {}
    return collation.get('locale', 'simple') != 'simple' and collation.get('strength', 3) <= 2


def index_keys(doc, spec):
    """The keys a document has in an index, as {encoded key: key values}; none when a sparse index skips it."""
    fold = case_insensitive(spec.get('collation'))
    per_field = [[value.casefold() if fold and isinstance(value, str) else value for value in _values_at(doc, field.split('.'))] for field in spec['key']]
    if spec.get('sparse') and not any(per_field):
        return {}
    combinations = itertools.product(*(values or [None] for values in per_field))
    return {bson.encode({'k': list(values)}): values for values in combinations}


def ensure_unique(namespace, specs, others, candidates):
    """Raises DuplicateKey when a candidate document shares a unique index key with another document.

    `others` are the collection's documents apart from the candidates (new or just modified documents)."""
    for spec in specs:
        if not spec.get('unique'):
            continue
        owners = {}
        for doc in others:
            for key in index_keys(doc, spec):
                owners[key] = doc['_id']
        for doc in candidates:
            for key, values in index_keys(doc, spec).items():
                if owners.setdefault(key, doc['_id']) != doc['_id']:
                    raise DuplicateKey(namespace, spec['name'], dict(spec['key']), dict(zip(spec['key'], values)))
