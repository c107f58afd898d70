#!/usr/bin/env python3
"""Real third-party peers for Skjold's loopback captures: a pymodbus server and
client, and a paho-mqtt client for a mosquitto broker. Driven by
capture-modbus-mqtt.sh; every peer binds or connects to 127.0.0.1 only.

Usage:
  peers.py modbus-server PORT      serve until SIGTERM/SIGINT
  peers.py modbus-client PORT      reads, writes, an exception, FC43/14
  peers.py mqtt-client PORT        connect, subscribe, publish QoS 0/1/2, ping, disconnect

Written for pymodbus 3.16 and paho-mqtt 2.2 (see requirements.txt).
"""

import asyncio
import signal
import sys
import threading
import time

HOST = "127.0.0.1"


def modbus_server(port: int) -> int:
    from pymodbus import ModbusDeviceIdentification
    from pymodbus.datastore import ModbusDeviceContext, ModbusSequentialDataBlock, ModbusServerContext
    from pymodbus.server import ModbusTcpServer

    identity = ModbusDeviceIdentification(
        info_name={
            "VendorName": "Skjold Test",
            "ProductCode": "SKJ-1",
            "MajorMinorRevision": "1.2.3",
            "VendorUrl": "https://example.invalid/skjold",
            "ProductName": "Skjold loopback PLC",
            "ModelName": "SKJ-1 test server",
        }
    )
    device = ModbusDeviceContext(
        co=ModbusSequentialDataBlock(1, [int(i % 2 == 0) for i in range(100)]),
        di=ModbusSequentialDataBlock(1, [int(i % 3 == 0) for i in range(100)]),
        hr=ModbusSequentialDataBlock(1, [1000 + i for i in range(100)]),
        ir=ModbusSequentialDataBlock(1, [2000 + i for i in range(100)]),
    )
    context = ModbusServerContext(devices=device, single=True)

    async def run() -> None:
        server = ModbusTcpServer(context, identity=identity, address=(HOST, port))
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, lambda: asyncio.ensure_future(server.shutdown()))
        await server.serve_forever()

    asyncio.run(run())
    return 0


def modbus_client(port: int) -> int:
    from pymodbus.client import ModbusTcpClient

    client = ModbusTcpClient(HOST, port=port, timeout=3, retries=0)
    if not client.connect():
        print("modbus-client: cannot connect", file=sys.stderr)
        return 1
    failures = []

    def check(what, rr, expect_error=False):
        if rr.isError() != expect_error:
            failures.append(f"{what}: {rr}")
        return rr

    info = check("43/14 basic", client.read_device_information(read_code=1, object_id=0))
    if info.information.get(0) != b"Skjold Test" or info.information.get(1) != b"SKJ-1":
        failures.append(f"device identification: {info.information}")
    check("43/14 regular", client.read_device_information(read_code=2, object_id=0))
    check("fc3", client.read_holding_registers(0, count=10))
    check("fc4", client.read_input_registers(10, count=4))
    check("fc1", client.read_coils(0, count=16))
    check("fc2", client.read_discrete_inputs(0, count=8))
    check("fc6", client.write_register(5, 4242))
    check("fc16", client.write_registers(20, [1, 2, 3, 4, 5, 6]))
    check("fc5", client.write_coil(3, True))
    rr = check("fc3 after writes", client.read_holding_registers(0, count=30))
    if rr.registers[5] != 4242 or rr.registers[20:26] != [1, 2, 3, 4, 5, 6]:
        failures.append(f"written values not read back: {rr.registers}")
    # Illegal data address: the server answers with exception code 2.
    check("fc3 out of range", client.read_holding_registers(500, count=10), expect_error=True)
    client.close()
    for f in failures:
        print(f"modbus-client: {f}", file=sys.stderr)
    return 1 if failures else 0


def mqtt_client(port: int) -> int:
    import paho.mqtt.client as mqtt

    got = []
    subscribed = threading.Event()
    done = threading.Event()
    disconnected = threading.Event()
    wanted = 4

    def on_connect(client, userdata, flags, reason_code, properties):
        client.subscribe("skjold/test/#", qos=1)

    def on_subscribe(client, userdata, mid, reason_codes, properties):
        subscribed.set()

    def on_disconnect(client, userdata, flags, reason_code, properties):
        disconnected.set()

    def on_message(client, userdata, msg):
        got.append((msg.topic, msg.qos, msg.payload))
        if len(got) >= wanted:
            done.set()

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="skjold-peer", protocol=mqtt.MQTTv311)
    client.username_pw_set("skjold", "peer-password")
    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    client.on_message = on_message
    client.on_disconnect = on_disconnect
    client.connect(HOST, port, keepalive=2)
    client.loop_start()
    if not subscribed.wait(5):
        print("mqtt-client: no SUBACK", file=sys.stderr)
        return 1
    client.publish("skjold/test/temperature", b'{"value":21.5,"unit":"C"}', qos=0)
    client.publish("skjold/test/pressure", b'{"value":1.013,"unit":"bar"}', qos=1).wait_for_publish(5)
    client.publish("skjold/test/valve", b"OPEN", qos=2).wait_for_publish(5)
    client.publish("skjold/test/status", b"online", qos=1, retain=True).wait_for_publish(5)
    ok = done.wait(5)
    # Stay idle past the 2 s keep-alive so that the client sends PINGREQ.
    time.sleep(3.5)
    client.unsubscribe("skjold/test/#")
    time.sleep(0.2)
    client.disconnect()
    # loop_stop() straight after disconnect() can end the network thread before
    # DISCONNECT is written: wait for the callback first.
    disconnected.wait(5)
    client.loop_stop()
    if not ok:
        print(f"mqtt-client: only {len(got)} of {wanted} messages came back", file=sys.stderr)
        return 1
    return 0


def main(argv) -> int:
    if len(argv) != 3 or argv[1] not in ("modbus-server", "modbus-client", "mqtt-client"):
        print(__doc__, file=sys.stderr)
        return 2
    port = int(argv[2])
    return {"modbus-server": modbus_server, "modbus-client": modbus_client, "mqtt-client": mqtt_client}[argv[1]](port)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
