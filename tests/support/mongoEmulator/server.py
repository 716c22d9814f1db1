"""A MongoDB wire-protocol server for tests: mockupdb speaks the protocol, mongomock holds the data.

Usage: python3 server.py [--port N] [--replica-set NAME]
(port 0, the default, picks a free port; with --replica-set it presents itself as the primary of a one-member replica
set of that name, otherwise as a standalone server)
Prints `listening on 127.0.0.1:<port>` once it accepts connections, and serves until stdin closes (its parent,
the jest global setup, went away) or it is terminated. Requests are served one at a time under mockupdb's lock,
so the shared engine needs no locking of its own.
"""
import argparse
import sys

from mockupdb import OP_MSG_FLAGS, MockupDB, OpMsg

# The script's own directory is first on sys.path, so its sibling modules import by name.
from dispatch import reply_to
from engine import Engine


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--port', type=int, default=0)
    parser.add_argument('--replica-set', default=None)
    args = parser.parse_args()

    engine = Engine()
    server = MockupDB(port=args.port or None)

    def respond(request):
        reply = reply_to(engine, request.namespace.split('.')[0], request.doc)
        # An unacknowledged write (moreToCome) expects no answer.
        if not (isinstance(request, OpMsg) and request.flags & OP_MSG_FLAGS['moreToCome']):
            request.replies(reply)
        return True

    server.autoresponds(respond)
    bound = server.run()
    if args.replica_set:
        engine.replica_set = {'name': args.replica_set, 'host': '127.0.0.1:%d' % bound}
    print('listening on 127.0.0.1:%d' % bound, flush=True)
    try:
        sys.stdin.read()
    except KeyboardInterrupt:
        pass
    # Connection threads are daemons: leaving main ends them with the process.


if __name__ == '__main__':
    main()
