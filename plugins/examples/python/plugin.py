#!/usr/bin/python3
"""A mydocker hook plugin in Python, with Debian's python3-grpcio.

It shows what a plugin in any language needs (plugins/README.md, "Any
language"): check the handshake cookie, serve mydocker's Hooks service, the
gRPC health service and go-plugin's controller on a Unix socket, print the
handshake line on stdout, and log on stderr.

What it does:
  pre-clone   refuses the command named in $PY_PLUGIN_DENY (default
              "forbidden") with PERMISSION_DENIED; otherwise adds
              FROM_PYTHON=yes to the environment, as an edit of env alone
              (protocol 2; with $PY_PLUGIN_PROTOCOL=1, a spec holding only
              env, whose empty fields stay as they were)
  post-mount  not implemented (UNIMPLEMENTED: mydocker stops calling it)
  post-stop   appends "ID REASON STATUS" to $PY_PLUGIN_LOG, if set
"""
import os
import sys
import tempfile
from concurrent import futures

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))

import grpc  # noqa: E402

import controller_pb2  # noqa: E402
import controller_pb2_grpc  # noqa: E402
import health_pb2  # noqa: E402
import health_pb2_grpc  # noqa: E402
import hooks_pb2  # noqa: E402
import hooks_pb2_grpc  # noqa: E402

COOKIE_KEY, COOKIE_VALUE = "MYDOCKER_PLUGIN", "hooks-7f3c2a9e"
# go-plugin's protocol, and mydocker's: 2 answers pre-clone with an edit (only
# what changes); 1, the older, with the whole spec. $PY_PLUGIN_PROTOCOL=1
# shows that mydocker still serves version 1.
CORE_PROTOCOL = 1
APP_PROTOCOL = int(os.environ.get("PY_PLUGIN_PROTOCOL", "2"))


class Hooks(hooks_pb2_grpc.HooksServicer):
    def PreClone(self, request, context):
        spec = request.spec
        deny = os.environ.get("PY_PLUGIN_DENY", "forbidden")
        if spec.args and spec.args[0] == deny:
            context.abort(grpc.StatusCode.PERMISSION_DENIED, f"{deny!r} is denied by the Python plugin")
        print(f"pre-clone of {spec.id}", file=sys.stderr, flush=True)
        env = list(spec.env) + ["FROM_PYTHON=yes"]
        if APP_PROTOCOL == 1:  # the whole spec; what is left empty stays
            return hooks_pb2.PreCloneResponse(spec=hooks_pb2.Spec(env=env))
        return hooks_pb2.PreCloneResponse(edit=hooks_pb2.SpecEdit(env=hooks_pb2.StringList(values=env)))

    def PostStop(self, request, context):
        log = os.environ.get("PY_PLUGIN_LOG")
        if log:
            st = request.state
            with open(log, "a") as f:
                f.write(f"{st.id} {st.reason} {st.status}\n")
        return hooks_pb2.PostStopResponse()


class Health(health_pb2_grpc.HealthServicer):
    def Check(self, request, context):
        return health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.SERVING)


class Controller(controller_pb2_grpc.GRPCControllerServicer):
    def __init__(self, server):
        self.server = server

    def Shutdown(self, request, context):
        self.server.stop(grace=1)
        return controller_pb2.Empty()


def main():
    if os.environ.get(COOKIE_KEY) != COOKIE_VALUE:
        print("This is a mydocker plugin: load it with mydocker --plugin PATH.", file=sys.stderr)
        return 1
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    hooks_pb2_grpc.add_HooksServicer_to_server(Hooks(), server)
    health_pb2_grpc.add_HealthServicer_to_server(Health(), server)
    controller_pb2_grpc.add_GRPCControllerServicer_to_server(Controller(server), server)
    # go-plugin names a private directory for the socket.
    sockdir = os.environ.get("PLUGIN_UNIX_SOCKET_DIR") or tempfile.gettempdir()
    path = os.path.join(sockdir, f"py-plugin-{os.getpid()}.sock")
    server.add_insecure_port("unix:" + path)
    server.start()
    # The handshake: the one line ever written to stdout.
    print(f"{CORE_PROTOCOL}|{APP_PROTOCOL}|unix|{path}|grpc", flush=True)
    server.wait_for_termination()
    if os.path.exists(path):
        os.unlink(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
