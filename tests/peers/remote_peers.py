#!/usr/bin/env python3
"""Loopback helpers for capture-remote.sh: certificates, a Basic-auth HTTP server, an FTP
server (pyftpdlib) and client, a one-shot telnetd launcher and an RFB client. Everything binds
or connects to 127.0.0.1 only. Credentials are test values."""
import base64
import datetime
import ftplib
import http.server
import socket
import subprocess
import sys
import time


def make_cert(key_path, cert_path, cn, expired):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "DE"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Skjold Test Plant"),
        x509.NameAttribute(NameOID.COMMON_NAME, cn),
    ])
    if expired:
        nb = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
        na = datetime.datetime(2021, 1, 1, tzinfo=datetime.timezone.utc)
    else:
        nb = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)
        na = datetime.datetime(2035, 1, 1, tzinfo=datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(0x5C19B7B1323B1CA1)
            .not_valid_before(nb).not_valid_after(na)
            .sign(key, hashes.SHA256()))
    with open(key_path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.TraditionalOpenSSL,
                                  serialization.NoEncryption()))
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))


class BasicAuth(http.server.BaseHTTPRequestHandler):
    server_version = "SkjoldTestHMI/1.0"

    def do_GET(self):
        want = "Basic " + base64.b64encode(b"operator:hunter2").decode()
        if self.headers.get("Authorization") != want:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="plant"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = b"<html><body>pump 1: running</body></html>\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


def http_server(port):
    http.server.HTTPServer.protocol_version = "HTTP/1.1"
    http.server.HTTPServer(("127.0.0.1", port), BasicAuth).serve_forever()


def ftp_server(port, root):
    from pyftpdlib.authorizers import DummyAuthorizer
    from pyftpdlib.handlers import FTPHandler
    from pyftpdlib.servers import FTPServer

    auth = DummyAuthorizer()
    auth.add_user("operator", "hunter2", root, perm="elr")
    handler = FTPHandler
    handler.authorizer = auth
    handler.banner = "Skjold test FTP ready"
    handler.passive_ports = range(30000, 30010)
    FTPServer(("127.0.0.1", port), handler).serve_forever()


def ftp_client(port):
    ftp = ftplib.FTP()
    ftp.connect("127.0.0.1", port)
    try:
        ftp.login("operator", "wrong")
    except ftplib.error_perm:
        pass
    ftp.login("operator", "hunter2")
    ftp.pwd()
    ftp.sendcmd("SYST")
    ftp.sendcmd("TYPE I")
    try:
        ftp.sendcmd("AUTH TLS")
    except ftplib.error_perm:
        pass
    ftp.quit()


def telnetd(port):
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(1)
    conn, _ = srv.accept()
    p = subprocess.Popen(["/usr/sbin/telnetd", "-h"], stdin=conn, stdout=conn, stderr=subprocess.DEVNULL)
    p.wait(timeout=30)


def rfb_client(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    ver = s.recv(12)
    s.sendall(b"RFB 003.008\n")
    n = s.recv(1)[0]
    types = s.recv(n)
    if 1 in types:
        s.sendall(b"\x01")
        s.recv(4)  # SecurityResult
        s.sendall(b"\x01")  # ClientInit, shared
        head = s.recv(24)
        name_len = int.from_bytes(head[20:24], "big")
        s.recv(name_len)
    time.sleep(0.2)
    s.close()
    print("rfb server", ver, "types", list(types), file=sys.stderr)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "cert":
        make_cert(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5] == "expired")
    elif cmd == "http-server":
        http_server(int(sys.argv[2]))
    elif cmd == "ftp-server":
        ftp_server(int(sys.argv[2]), sys.argv[3])
    elif cmd == "ftp-client":
        ftp_client(int(sys.argv[2]))
    elif cmd == "telnetd":
        telnetd(int(sys.argv[2]))
    elif cmd == "rfb-client":
        rfb_client(int(sys.argv[2]))
    else:
        sys.exit("unknown command " + cmd)
