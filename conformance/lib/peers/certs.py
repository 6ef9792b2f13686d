"""The test PKI: made once with the openssl command in STATE/certs, shared by every peer.

    ca.pem                       the CA that signed the two certificates below
    server.pem, server-key.pem   CN localhost; SAN DNS:localhost and IP:127.0.0.1
    client.pem, client-key.pem   CN amqp-client (the user RabbitMQ's EXTERNAL logs in as)
    other-ca.pem                 an unrelated CA: verifying a broker with it must fail
"""

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass

from .system import Unavailable, ensure_packages

DAYS = "3650"
SERVER_EXTENSIONS = ("subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                     "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n")
CLIENT_EXTENSIONS = ("basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n"
                     "extendedKeyUsage=clientAuth\n")
CLIENT_NAME = "amqp-client"


@dataclass(frozen=True)
class Certs:
    ca: str
    server_cert: str
    server_key: str
    client_cert: str
    client_key: str
    other_ca: str


def _files(directory):
    path = lambda name: os.path.join(directory, name)  # noqa: E731
    return Certs(ca=path("ca.pem"), server_cert=path("server.pem"),
                 server_key=path("server-key.pem"), client_cert=path("client.pem"),
                 client_key=path("client-key.pem"), other_ca=path("other-ca.pem"))


def certs(state_dir):
    """The certificates in state_dir/certs, made first when missing."""
    directory = os.path.join(state_dir, "certs")
    if not os.path.exists(_files(directory).other_ca):
        _make(state_dir, directory)
    return _files(directory)


def _make(state_dir, directory):
    if shutil.which("openssl") is None:
        ensure_packages(["openssl"])
    os.makedirs(state_dir, exist_ok=True)
    # Made aside and renamed into place, so a concurrent caller sees either none or all of them.
    work = tempfile.mkdtemp(prefix="certs.", dir=state_dir)
    try:
        _openssl(work, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", DAYS,
                 "-subj", "/CN=amqp-conformance test CA", "-keyout", "ca-key.pem",
                 "-out", "ca.pem")
        _openssl(work, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", DAYS,
                 "-subj", "/CN=amqp-conformance unrelated CA", "-keyout", "other-ca-key.pem",
                 "-out", "other-ca.pem")
        _issue(work, "server", "localhost", SERVER_EXTENSIONS)
        _issue(work, "client", CLIENT_NAME, CLIENT_EXTENSIONS)
        try:
            os.rename(work, directory)
        except OSError:
            if not os.path.exists(_files(directory).other_ca):
                raise
            shutil.rmtree(work)  # another process made them first
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


def _issue(work, who, common_name, extensions):
    with open(os.path.join(work, who + ".ext"), "w") as f:
        f.write(extensions)
    _openssl(work, "req", "-newkey", "rsa:2048", "-nodes", "-sha256", "-subj", "/CN=" + common_name,
             "-keyout", who + "-key.pem", "-out", who + ".csr")
    _openssl(work, "x509", "-req", "-sha256", "-days", DAYS, "-in", who + ".csr", "-CA", "ca.pem",
             "-CAkey", "ca-key.pem", "-CAcreateserial", "-extfile", who + ".ext",
             "-out", who + ".pem")
    for scratch in (who + ".csr", who + ".ext"):
        os.remove(os.path.join(work, scratch))


def _openssl(work, *args):
    result = subprocess.run(["openssl"] + list(args), cwd=work, capture_output=True, text=True)
    if result.returncode != 0:
        raise Unavailable("openssl %s failed: %s" % (args[0], result.stderr.strip()[-300:]))
