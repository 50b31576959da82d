#!/usr/bin/env python3
"""A PostgreSQL server of another version, for as long as a client needs to
read it: it speaks the start of the wire protocol (version 3) on a unix
socket, accepts every client without a password and says it is VERSION in
the server_version parameter, as a real server does before any query.
Every query is answered with an error ("this server only says its
version"), so that a client that goes on regardless fails rather than
waits.

    pg_old_server.py SOCKET_DIR VERSION

Listens on SOCKET_DIR/.s.PGSQL.5432 (libpq's name for port 5432 there) and
serves clients one at a time until killed. Used by
tests/cli/test_teamstore.sh (a server older than tracker-postgres needs).
"""
import os
import socket
import struct
import sys

SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104


def message(kind, payload):
    return kind + struct.pack("!I", len(payload) + 4) + payload


def recv_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def error(text):
    fields = b"SERROR\0VERROR\0C0A000\0M" + text.encode() + b"\0\0"
    return message(b"E", fields) + message(b"Z", b"I")


def serve(conn, version):
    # The startup packet, after any SSL or GSS encryption request (refused).
    while True:
        (length,) = struct.unpack("!I", recv_exact(conn, 4))
        body = recv_exact(conn, length - 4)
        (code,) = struct.unpack("!I", body[:4])
        if code in (SSL_REQUEST, GSSENC_REQUEST):
            conn.sendall(b"N")
            continue
        break
    reply = message(b"R", struct.pack("!I", 0))  # AuthenticationOk
    for key, value in (("server_version", version),
                       ("server_encoding", "UTF8"),
                       ("client_encoding", "UTF8"),
                       ("standard_conforming_strings", "on"),
                       ("integer_datetimes", "on")):
        reply += message(b"S", key.encode() + b"\0" + value.encode() + b"\0")
    reply += message(b"K", struct.pack("!II", os.getpid(), 1))
    reply += message(b"Z", b"I")
    conn.sendall(reply)
    while True:
        kind = recv_exact(conn, 1)
        (length,) = struct.unpack("!I", recv_exact(conn, 4))
        recv_exact(conn, length - 4)
        if kind == b"X":
            return
        if kind in (b"Q", b"S"):  # a simple query, or an extended one's end
            conn.sendall(error("this server only says its version"))


def main():
    sock_dir, version = sys.argv[1], sys.argv[2]
    path = os.path.join(sock_dir, ".s.PGSQL.5432")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(8)
    while True:
        conn, _ = server.accept()
        try:
            serve(conn, version)
        except (EOFError, OSError):
            pass
        finally:
            conn.close()


if __name__ == "__main__":
    main()
