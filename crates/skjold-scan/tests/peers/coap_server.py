"""aiocoap CoAP server with two resources and /.well-known/core, for skjold-scan's tests.

Usage: coap_server.py ADDRESS PORT
"""
import asyncio
import sys

import aiocoap
import aiocoap.resource as resource

addr, port = sys.argv[1], int(sys.argv[2])


class Value(resource.Resource):
    def __init__(self, v):
        super().__init__()
        self.v = v

    async def render_get(self, request):
        return aiocoap.Message(payload=self.v.encode())


async def main():
    root = resource.Site()
    root.add_resource([".well-known", "core"], resource.WKCResource(root.get_resources_as_linkheader))
    root.add_resource(["sensors", "temp"], Value("21.5"))
    root.add_resource(["actuators", "valve"], Value("closed"))
    await aiocoap.Context.create_server_context(root, bind=(addr, port))
    await asyncio.get_running_loop().create_future()


asyncio.run(main())
