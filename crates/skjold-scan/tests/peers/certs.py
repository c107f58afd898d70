"""Test certificates for skjold-scan's TLS tests (python `cryptography`, a dependency of asyncua).

Usage: certs.py OUTDIR
Writes PEM pairs: ca, leaf (CA-signed, RSA 2048, SHA-256, SAN localhost + 127.0.0.1 + 127.0.77.0/24
addresses used by the tests), expired (self-signed, validity ended), mismatch (CA-signed, SAN
plc.example only), weak (CA-signed, RSA 1024, SHA-1, no SAN), and opcua (DER cert + PEM key for asyncua).
"""
import datetime
import ipaddress
import os
import subprocess
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
now = datetime.datetime.now(datetime.timezone.utc)


def name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def key(bits=2048):
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def save(stem, cert, k):
    with open(os.path.join(out, stem + ".pem"), "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(os.path.join(out, stem + ".key"), "wb") as f:
        f.write(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()))
    with open(os.path.join(out, stem + ".der"), "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.DER))


def build(subject, issuer, pub, signer, start, end, sans=None, algo=None, ca=False, extra=None):
    b = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(pub)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if sans is not None:
        b = b.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    for e, crit in extra or []:
        b = b.add_extension(e, critical=crit)
    return b.sign(signer, algo or hashes.SHA256())


day = datetime.timedelta(days=1)
ca_key = key()
ca = build(name("Skjold Test CA"), name("Skjold Test CA"), ca_key.public_key(), ca_key, now - day, now + 365 * day, ca=True)
save("ca", ca, ca_key)

addrs = [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))] + [
    x509.IPAddress(ipaddress.ip_address(f"127.0.77.{i}")) for i in range(1, 40)
]
k = key()
save("leaf", build(name("localhost"), ca.subject, k.public_key(), ca_key, now - day, now + 300 * day,
                   [x509.DNSName("localhost")] + addrs), k)

k = key()
save("expired", build(name("expired.plc.example"), name("expired.plc.example"), k.public_key(), k,
                      now - 400 * day, now - 30 * day), k)

k = key()
save("mismatch", build(name("plc.example"), ca.subject, k.public_key(), ca_key, now - day, now + 300 * day,
                       [x509.DNSName("plc.example")]), k)

# RSA 1024 signed with SHA-1: `cryptography` refuses SHA-1 signatures, the openssl CLI does not.
k = key(1024)
with open(os.path.join(out, "weak.key"), "wb") as f:
    f.write(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()))
csr = os.path.join(out, "weak.csr")
subprocess.run(["openssl", "req", "-new", "-key", os.path.join(out, "weak.key"), "-subj", "/CN=weak.plc.example",
                "-out", csr], check=True)
subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA", os.path.join(out, "ca.pem"), "-CAkey",
                os.path.join(out, "ca.key"), "-CAcreateserial", "-sha1", "-days", "300", "-out",
                os.path.join(out, "weak.pem")], check=True, capture_output=True)

# asyncua server certificate: needs the application URI in the SAN.
k = key()
save("opcua", build(name("Skjold Test OPC UA"), ca.subject, k.public_key(), ca_key, now - day, now + 300 * day,
                    [x509.UniformResourceIdentifier("urn:skjold:test:opcua"), x509.DNSName("localhost")] + addrs,
                    extra=[(x509.KeyUsage(True, True, True, True, False, False, False, False, False), True),
                           (x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH, x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]), False)]), k)
