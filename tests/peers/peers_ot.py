#!/usr/bin/env python3
"""Real third-party OT peers for Skjold's loopback captures, driven by
capture-ot.sh. Every server binds to and every client talks to 127.0.0.1
only. Versions pinned in requirements-ot.txt.

Usage: peers_ot.py ROLE PORT [CERT KEY]  (ROLE: s7-server, s7-client, enip-client,
       iec104-server, iec104-client, opcua-server, opcua-client, coap-server,
       coap-client, bacnet-server, bacnet-client, dnp3-server, dnp3-client)
Servers run until SIGTERM/SIGINT.
"""

import asyncio
import signal
import sys
import threading
import time

HOST = "127.0.0.1"


def wait_for_signal() -> None:
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    while not done.is_set():
        done.wait(0.2)


# --------------------------------------------------------------------- S7comm
def s7_server(port: int) -> int:
    import snap7
    from snap7.type import SrvArea

    server = snap7.server.Server(log=False)
    server.host = HOST
    db1 = bytearray(64)
    db1[0:12] = b"skjold-peers"
    server.register_area(SrvArea.DB, 1, db1)
    server.register_area(SrvArea.MK, 0, bytearray(32))
    server.start(tcp_port=port)
    wait_for_signal()
    server.stop()
    return 0


def s7_client(port: int) -> int:
    import snap7
    from snap7.type import Area

    client = snap7.client.Client()
    client.connect(HOST, 0, 1, tcp_port=port)
    steps = [
        ("read_szl 0x0011", lambda: client.read_szl(0x0011, 0)),
        ("read_szl 0x001C", lambda: client.read_szl(0x001C, 0)),
        ("get_cpu_info", client.get_cpu_info),
        ("get_order_code", client.get_order_code),
        ("db_read", lambda: client.db_read(1, 0, 16)),
        ("db_write", lambda: client.db_write(1, 16, bytearray(b"\x01\x02\x03\x04"))),
        ("read_area MK", lambda: client.read_area(Area.MK, 0, 0, 4)),
        ("list_blocks", client.list_blocks),
        ("get_cpu_state", client.get_cpu_state),
        ("plc_stop", client.plc_stop),
        ("plc_hot_start", client.plc_hot_start),
    ]
    for name, step in steps:
        try:
            result = step()
            print(f"s7 {name}: ok {str(result)[:100]!r}", file=sys.stderr)
        except Exception as exc:  # noqa: BLE001 - a refused service is still recorded traffic
            print(f"s7 {name}: {type(exc).__name__}: {exc}", file=sys.stderr)
        time.sleep(0.05)
    client.disconnect()
    return 0


# ------------------------------------------------------------------ ENIP/CIP
def enip_client(port: int) -> int:
    """pycomm3 against the cpppo simulator: ListIdentity (TCP), then an
    unconnected Get_Attributes_All and Get_Attribute_Single of the identity
    object (class 1 instance 1)."""
    from pycomm3 import CIPDriver, Services

    with CIPDriver(f"{HOST}:{port}") as driver:
        for name, kwargs in [
            ("get_attributes_all identity", {"service": Services.get_attributes_all, "class_code": 0x01, "instance": 1}),
            ("get_attribute_single product name", {"service": Services.get_attribute_single, "class_code": 0x01, "instance": 1, "attribute": 7}),
        ]:
            try:
                tag = driver.generic_message(connected=False, name=name, **kwargs)
                print(f"enip {name}: {tag}", file=sys.stderr)
            except Exception as exc:  # noqa: BLE001
                print(f"enip {name}: {type(exc).__name__}: {exc}", file=sys.stderr)
    return 0


# -------------------------------------------------------------------- IEC-104
def iec104_server(port: int) -> int:
    import c104

    server = c104.Server(ip=HOST, port=port, tick_rate_ms=100)
    station = server.add_station(common_address=47)
    measured = station.add_point(io_address=11, type=c104.Type.M_ME_NC_1)
    measured.value = 21.5
    status = station.add_point(io_address=12, type=c104.Type.M_SP_NA_1)
    status.value = True
    breaker = station.add_point(io_address=13, type=c104.Type.M_SP_NA_1)
    station.add_point(io_address=21, type=c104.Type.C_SC_NA_1, related_io_address=13)
    station.add_point(io_address=22, type=c104.Type.C_SE_NC_1, related_io_address=11)
    del breaker
    server.start()
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    sent = 0
    while not done.wait(0.5):
        if server.has_active_connections and sent < 2:
            time.sleep(1.0)  # after the interrogation
            measured.value = 22.25 + sent
            measured.transmit(cause=c104.Cot.SPONTANEOUS)
            sent += 1
    server.stop()
    return 0


def iec104_client(port: int) -> int:
    import c104

    client = c104.Client(tick_rate_ms=100, command_timeout_ms=2000)
    connection = client.add_connection(ip=HOST, port=port, init=c104.Init.NONE)
    connection.protocol_parameters.keep_alive_interval = 1  # t3: TESTFR after 1 s idle
    station = connection.add_station(common_address=47)
    single = station.add_point(io_address=21, type=c104.Type.C_SC_NA_1)
    setpoint = station.add_point(io_address=22, type=c104.Type.C_SE_NC_1)
    client.start()
    for _ in range(50):
        if connection.is_connected:
            break
        time.sleep(0.1)
    steps = [
        ("startdt", lambda: connection.unmute()),
        ("interrogation", lambda: connection.interrogation(common_address=47)),
        ("wait spontaneous", lambda: time.sleep(2.5)),
        ("single command", lambda: (setattr(single, "value", True), single.transmit(cause=c104.Cot.ACTIVATION))[1]),
        ("set-point", lambda: (setattr(setpoint, "value", 42.5), setpoint.transmit(cause=c104.Cot.ACTIVATION))[1]),
        ("idle for TESTFR", lambda: time.sleep(2.5)),
    ]
    for name, step in steps:
        try:
            print(f"iec104 {name}: {step()}", file=sys.stderr)
        except Exception as exc:  # noqa: BLE001
            print(f"iec104 {name}: {type(exc).__name__}: {exc}", file=sys.stderr)
    connection.disconnect()
    client.stop()
    return 0


# -------------------------------------------------------------------- OPC UA
OPCUA_NS = "urn:skjold:peers"


async def _opcua_server(port: int, encrypted: bool) -> None:
    from asyncua import Server, ua
    from asyncua.common.methods import uamethod

    server = Server()
    await server.init()
    server.set_endpoint(f"opc.tcp://{HOST}:{port}/skjold/")
    server.set_server_name("Skjold peer OPC UA server")
    await server.set_application_uri("urn:skjold:peers:server")
    if encrypted:
        server.set_security_policy([ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt])
        await server.load_certificate(sys.argv[3])
        await server.load_private_key(sys.argv[4])
    else:
        server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
    idx = await server.register_namespace(OPCUA_NS)
    plant = await server.nodes.objects.add_object(idx, "Plant")
    temp = await plant.add_variable(idx, "Temperature", 21.5)
    await temp.set_writable()

    @uamethod
    def double(_parent, value):
        return value * 2

    await plant.add_method(idx, "Double", double, [ua.VariantType.Int64], [ua.VariantType.Int64])
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


async def _opcua_client(port: int, encrypted: bool) -> None:
    from asyncua import Client, ua

    url = f"opc.tcp://{HOST}:{port}/skjold/"
    client = Client(url=url, timeout=4)
    if encrypted:
        await client.set_security_string(f"Basic256Sha256,SignAndEncrypt,{sys.argv[3]},{sys.argv[4]}")
        client.application_uri = "urn:skjold:peers:client"
    else:
        endpoints = await client.connect_and_get_server_endpoints()
        print(f"opcua endpoints: {[e.SecurityPolicyUri for e in endpoints]}", file=sys.stderr)
    async with client:
        idx = await client.get_namespace_index(OPCUA_NS)
        children = await client.nodes.objects.get_children()
        print(f"opcua browse objects: {children}", file=sys.stderr)
        plant = await client.nodes.objects.get_child([f"{idx}:Plant"])
        temp = await plant.get_child([f"{idx}:Temperature"])
        print(f"opcua read: {await temp.read_value()}", file=sys.stderr)
        await temp.write_value(ua.Variant(23.75, ua.VariantType.Double))
        print(f"opcua read after write: {await temp.read_value()}", file=sys.stderr)
        result = await plant.call_method(f"{idx}:Double", ua.Variant(21, ua.VariantType.Int64))
        print(f"opcua call Double(21): {result}", file=sys.stderr)


def opcua_server(port: int) -> int:
    asyncio.run(_opcua_server(port, len(sys.argv) > 3))
    return 0


def opcua_client(port: int) -> int:
    asyncio.run(_opcua_client(port, len(sys.argv) > 3))
    return 0


# ---------------------------------------------------------------------- CoAP
async def _coap_server(port: int) -> None:
    import aiocoap
    import aiocoap.resource as resource

    class Text(resource.Resource):
        def __init__(self, body: bytes) -> None:
            super().__init__()
            self.body = body

        async def render_get(self, request):
            return aiocoap.Message(payload=self.body, content_format=0)

        async def render_put(self, request):
            self.body = request.payload
            return aiocoap.Message(code=aiocoap.CHANGED)

    class Clock(resource.ObservableResource):
        def __init__(self) -> None:
            super().__init__()
            self.ticks = 0
            self.handle = None

        def update_observation_count(self, count):
            if count and self.handle is None:
                self.handle = asyncio.get_running_loop().call_later(0.3, self.tick)
            elif not count and self.handle:
                self.handle.cancel()
                self.handle = None

        def tick(self):
            self.ticks += 1
            self.updated_state()
            self.handle = asyncio.get_running_loop().call_later(0.3, self.tick)

        async def render_get(self, request):
            return aiocoap.Message(payload=f"tick {self.ticks}".encode(), content_format=0)

    root = resource.Site()
    root.add_resource([".well-known", "core"], resource.WKCResource(root.get_resources_as_linkheader))
    root.add_resource(["sensors", "temp"], Text(b"21.5"))
    root.add_resource(["config", "setpoint"], Text(b"20.0"))
    root.add_resource(["clock"], Clock())
    root.add_resource(["firmware"], Text(bytes(range(256)) * 6))  # 1536 bytes: block-wise
    await aiocoap.Context.create_server_context(root, bind=(HOST, port))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def _coap_client(port: int) -> None:
    import aiocoap

    ctx = await aiocoap.Context.create_client_context()
    base = f"coap://{HOST}:{port}"
    for method, path, payload in [
        (aiocoap.GET, "/.well-known/core", b""),
        (aiocoap.GET, "/sensors/temp", b""),
        (aiocoap.PUT, "/config/setpoint", b"22.5"),
        (aiocoap.GET, "/config/setpoint", b""),
        (aiocoap.GET, "/firmware", b""),
    ]:
        response = await ctx.request(aiocoap.Message(code=method, uri=base + path, payload=payload)).response
        print(f"coap {method} {path}: {response.code} {len(response.payload)} bytes", file=sys.stderr)
    request = ctx.request(aiocoap.Message(code=aiocoap.GET, uri=base + "/clock", observe=0))
    first = await request.response
    print(f"coap observe /clock: {first.payload!r}", file=sys.stderr)
    seen = 0
    async for note in request.observation:
        print(f"coap notification: {note.payload!r}", file=sys.stderr)
        seen += 1
        if seen == 2:
            request.observation.cancel()
            break
    await asyncio.sleep(0.2)
    await ctx.shutdown()


def coap_server(port: int) -> int:
    asyncio.run(_coap_server(port))
    return 0


def coap_client(port: int) -> int:
    asyncio.run(asyncio.wait_for(_coap_client(port), 20))
    return 0


# -------------------------------------------------------------------- BACnet
BACNET_CLIENT_PORT = 47809


def _bacnet_device(instance: int, name: str):
    from bacpypes3.local.device import DeviceObject

    return DeviceObject(
        objectIdentifier=("device", instance),
        objectName=name,
        vendorIdentifier=999,
        vendorName="Skjold Test",
        modelName="SKJ-BAC-1",
        firmwareRevision="1.2.3",
        applicationSoftwareVersion="0.0.110",
        description="skjold loopback peer",
    )


async def _bacnet_server(port: int) -> None:
    from bacpypes3.ipv4.app import NormalApplication
    from bacpypes3.local.analog import AnalogValueObject
    from bacpypes3.pdu import IPv4Address

    app = NormalApplication(_bacnet_device(599, "skjold-peer-device"), IPv4Address(f"{HOST}/8:{port}"))
    app.add_object(
        AnalogValueObject(
            objectIdentifier=("analogValue", 1),
            objectName="setpoint",
            presentValue=20.0,
            statusFlags=[0, 0, 0, 0],
            eventState="normal",
            outOfService=False,
            units="degreesCelsius",
        )
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    app.close()


async def _bacnet_client(port: int) -> None:
    from bacpypes3.ipv4.app import NormalApplication
    from bacpypes3.basetypes import PropertyIdentifier
    from bacpypes3.pdu import Address, IPv4Address
    from bacpypes3.primitivedata import ObjectIdentifier

    app = NormalApplication(_bacnet_device(600, "skjold-peer-client"), IPv4Address(f"{HOST}/8:{BACNET_CLIENT_PORT}"))
    server = Address(f"{HOST}:{port}")
    i_ams = await app.who_is(599, 599, address=server, timeout=3)
    print(f"bacnet who-is: {[str(i.iAmDeviceIdentifier) for i in i_ams]}", file=sys.stderr)
    device = "device,599"
    for prop in ["objectName", "vendorName", "modelName", "firmwareRevision"]:
        value = await app.read_property(server, device, prop)
        print(f"bacnet read {prop}: {value}", file=sys.stderr)
    rpm = await app.read_property_multiple(
        server,
        [  # flat: object, its properties, object, its properties
            ObjectIdentifier(device),
            [PropertyIdentifier(p) for p in ("object-name", "vendor-identifier", "protocol-version")],
            ObjectIdentifier("analog-value,1"),
            [PropertyIdentifier(p) for p in ("present-value", "units")],
        ],
    )
    print(f"bacnet rpm: {rpm}", file=sys.stderr)
    await app.write_property(server, "analog-value,1", "presentValue", 22.5)
    value = await app.read_property(server, "analog-value,1", "presentValue")
    print(f"bacnet present-value after write: {value}", file=sys.stderr)
    app.close()


def bacnet_server(port: int) -> int:
    asyncio.run(_bacnet_server(port))
    return 0


def bacnet_client(port: int) -> int:
    asyncio.run(asyncio.wait_for(_bacnet_client(port), 30))
    return 0


# ---------------------------------------------------------------------- DNP3
async def _dnp3_server(port: int) -> None:
    from dnp3.database.database import Database
    from dnp3.outstation.config import OutstationConfig
    from dnp3.outstation.outstation import Outstation
    from dnp3.outstation.tcp_runner import OutstationTcpRunner

    database = Database()
    database.add_binary_input(0, value=True)
    database.add_analog_input(0, value=21.5)
    database.add_analog_input(1, value=230.0)
    database.add_counter(0, value=1234)
    database.add_binary_output(0)
    database.add_analog_output(0, value=20.0)
    config = OutstationConfig(address=10, master_address=1)  # dnp3py's master defaults: 1 -> 10
    runner = OutstationTcpRunner(outstation=Outstation(config=config, database=database), host=HOST, port=port)
    task = asyncio.create_task(runner.run())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    task.cancel()


async def _dnp3_client(port: int) -> None:
    from dnp3.master.commands import ControlOperation, DirectOperateTask, SelectTask
    from dnp3.master.master import Master
    from dnp3.master.tcp_runner import MasterTcpRunner

    master = Master()
    runner = MasterTcpRunner(master=master, host=HOST, port=port, response_timeout=3.0)
    await runner.open()
    steps = [
        ("integrity poll", runner.integrity_poll),
        ("class 1 poll", lambda: runner.class_poll()),
        ("direct operate CROB", lambda: runner.request(
            DirectOperateTask(operations=[ControlOperation(index=0)]).build_request(master._state.next_sequence() if hasattr(master._state, "next_sequence") else 0))),
        ("select analog output", lambda: runner.request(
            SelectTask(operations=[ControlOperation(index=0, analog_value=25.0, is_analog=True)]).build_request(0))),
    ]
    for name, step in steps:
        try:
            result = await step()
            print(f"dnp3 {name}: {str(result)[:160]}", file=sys.stderr)
        except Exception as exc:  # noqa: BLE001
            print(f"dnp3 {name}: {type(exc).__name__}: {exc}", file=sys.stderr)
    await runner.close()


def dnp3_server(port: int) -> int:
    asyncio.run(_dnp3_server(port))
    return 0


def dnp3_client(port: int) -> int:
    asyncio.run(asyncio.wait_for(_dnp3_client(port), 30))
    return 0


ROLES = {
    "s7-server": s7_server,
    "s7-client": s7_client,
    "enip-client": enip_client,
    "iec104-server": iec104_server,
    "iec104-client": iec104_client,
    "opcua-server": opcua_server,
    "opcua-client": opcua_client,
    "coap-server": coap_server,
    "coap-client": coap_client,
    "bacnet-server": bacnet_server,
    "bacnet-client": bacnet_client,
    "dnp3-server": dnp3_server,
    "dnp3-client": dnp3_client,
}


def main() -> int:
    if len(sys.argv) not in (3, 5) or sys.argv[1] not in ROLES:
        print(__doc__, file=sys.stderr)
        return 2
    return ROLES[sys.argv[1]](int(sys.argv[2]))


if __name__ == "__main__":
    sys.exit(main())
