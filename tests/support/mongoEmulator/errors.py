"""The errors the emulator answers with, shaped like mongod's so the driver raises a MongoServerError."""


class CommandError(Exception):
    """A command that failed as a whole: replied as {ok: 0, errmsg, code, codeName}."""

    def __init__(self, code, code_name, message, **extra):
        super().__init__(message)
        self.reply = {'ok': 0, 'errmsg': message, 'code': code, 'codeName': code_name, **extra}


class DuplicateKey(Exception):
    """A unique index violation, with the index's key pattern and the offending values as mongod reports them."""

    def __init__(self, namespace, index_name, key_pattern, key_value):
        values = ', '.join('%s: %r' % item for item in key_value.items())
        super().__init__('E11000 duplicate key error collection: %s index: %s dup key: { %s }' % (namespace, index_name, values))
        self.fields = {'code': 11000, 'codeName': 'DuplicateKey', 'errmsg': str(self), 'keyPattern': key_pattern, 'keyValue': key_value}


def unsupported(what):
    """What mongomock cannot do answers at once with a clear error instead of a wrong result or a hang."""
    return CommandError(115, 'CommandNotSupported', '%s is not supported by the MongoDB test emulator (tests/support/mongoEmulator)' % what)
