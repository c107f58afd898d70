"""asyncua OPC UA server for skjold-scan's tests.

Usage: opcua_server.py ADDRESS PORT none|secure CERTDIR
`none`: the default endpoint with SecurityMode None (and anonymous users).
`secure`: only Basic256Sha256 SignAndEncrypt, user names only (no anonymous).
"""
import asyncio
import os
import sys

from asyncua import Server, ua

addr, port, mode, certdir = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]


async def main():
    server = Server()
    await server.init()
    server.set_endpoint(f"opc.tcp://{addr}:{port}/")
    server.set_server_name("Skjold Test OPC UA")
    await server.set_application_uri("urn:skjold:test:opcua")
    if mode == "secure":
        server.set_security_policy([ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt])
        server.set_security_IDs(["Username"])
        await server.load_certificate(os.path.join(certdir, "opcua.der"))
        await server.load_private_key(os.path.join(certdir, "opcua.key"), format="PEM")
    else:
        server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
        server.set_security_IDs(["Anonymous"])
    ns = await server.register_namespace("urn:skjold:test")
    obj = await server.nodes.objects.add_object(ns, "Pump")
    await obj.add_variable(ns, "Speed", 1500.0)
    async with server:
        while True:
            await asyncio.sleep(3600)


asyncio.run(main())
