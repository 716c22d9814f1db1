"""Routes a decoded command to its handler and turns every outcome into a mongod-shaped reply document."""
import sys
import traceback

import mongomock

import findAndModify
import handshake
import indexCommands
import namespaces
import reads
import writes
from errors import CommandError, DuplicateKey, unsupported

COMMANDS = {
    **handshake.COMMANDS,
    **reads.COMMANDS,
    **writes.COMMANDS,
    **findAndModify.COMMANDS,
    **indexCommands.COMMANDS,
    **namespaces.COMMANDS,
}

TRANSACTION_COMMANDS = ('commitTransaction', 'abortTransaction')


def _refuse_transactions(name, cmd):
    # Not code 20, a standalone mongod's: the driver rewrites that into advice about retryable writes.
    if name in TRANSACTION_COMMANDS or cmd.get('startTransaction') or cmd.get('autocommit') is False:
        raise unsupported('A transaction (the emulator is a standalone without sessions; use a replica set through MONGODB_URI)')


def reply_to(engine, db, cmd):
    """The reply document for one command. maxTimeMS, lsid, $clusterTime, txnNumber, readConcern, writeConcern and
    the other generic fields are ignored: every command completes at once and on the one shared engine."""
    name = next(iter(cmd))
    try:
        _refuse_transactions(name, cmd)
        handler = COMMANDS.get(name)
        if handler is None:
            raise unsupported("The command '%s'" % name)
        return {**handler(engine, db, cmd), 'ok': 1}
    except CommandError as error:
        return error.reply
    except DuplicateKey as error:
        return {'ok': 0, **error.fields}
    except NotImplementedError as error:
        return unsupported('%s (%s)' % (name, error)).reply
    except (mongomock.OperationFailure, ValueError) as error:
        return {'ok': 0, 'errmsg': str(error), 'code': getattr(error, 'code', None) or 2, 'codeName': 'BadValue'}
    except Exception as error:  # an emulator bug: say so in the reply and in the log, and keep serving
        traceback.print_exc(file=sys.stderr)
        return {'ok': 0, 'errmsg': 'MongoDB test emulator failed on %s: %r' % (name, error), 'code': 1, 'codeName': 'InternalError'}
