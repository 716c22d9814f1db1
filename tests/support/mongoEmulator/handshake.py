"""The handshake and housekeeping commands: the emulator presents itself as a MongoDB 7.0 standalone server, or as
the primary of a one-member replica set."""
import datetime
import itertools

import bson

# MongoDB 7.0; driver 7 needs at least 8 (MongoDB 4.2).
MAX_WIRE_VERSION = 21
VERSION = '7.0.0'

_connection_ids = itertools.count(1)


_ELECTION_ID = bson.ObjectId('7fffffff0000000000000001')


def _replica_set_fields(replica_set):
    """What a primary of a one-member replica set adds to its hello: the driver then monitors it as one."""
    if replica_set is None:
        return {}
    host = replica_set['host']
    return {
        'setName': replica_set['name'], 'setVersion': 1, 'electionId': _ELECTION_ID, 'hosts': [host], 'primary': host, 'me': host,
        'secondary': False, 'lastWrite': {'lastWriteDate': datetime.datetime.now(datetime.timezone.utc)},
    }


def hello(engine, db, cmd):
    # No topologyVersion: the driver polls instead of streaming hello.
    return {
        **_replica_set_fields(engine.replica_set),
        'helloOk': True,
        'isWritablePrimary': True,
        'ismaster': True,
        'maxBsonObjectSize': 16 * 1024 * 1024,
        'maxMessageSizeBytes': 48000000,
        'maxWriteBatchSize': 100000,
        'localTime': datetime.datetime.now(datetime.timezone.utc),
        'logicalSessionTimeoutMinutes': 30,
        'connectionId': next(_connection_ids),
        'minWireVersion': 0,
        'maxWireVersion': MAX_WIRE_VERSION,
        'readOnly': False,
    }


def build_info(engine, db, cmd):
    return {'version': VERSION, 'versionArray': [7, 0, 0, 0], 'gitVersion': 'mongodb-test-emulator', 'bits': 64, 'maxBsonObjectSize': 16 * 1024 * 1024}


def acknowledge(engine, db, cmd):
    return {}


COMMANDS = {
    'hello': hello,
    'isMaster': hello,
    'ismaster': hello,
    'buildInfo': build_info,
    'buildinfo': build_info,
    'ping': acknowledge,
    'endSessions': acknowledge,
}
