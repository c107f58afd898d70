"""pymodbus (3.x) Modbus/TCP server with device identification, for skjold-scan's tests.

Usage: modbus_server.py ADDRESS PORT RECORD_FILE
Every request PDU's function code is appended to RECORD_FILE (one decimal per line), so a
test can check that the scanner never sent a write.
"""
import asyncio
import sys

from pymodbus import ModbusDeviceIdentification
from pymodbus.datastore import ModbusDeviceContext, ModbusSequentialDataBlock, ModbusServerContext
from pymodbus.server import StartAsyncTcpServer

addr, port, record = sys.argv[1], int(sys.argv[2]), sys.argv[3]


def trace_pdu(sending, pdu):
    if not sending:
        with open(record, "a", encoding="ascii") as f:
            f.write(f"{pdu.function_code}\n")
    return pdu


async def main():
    block = ModbusSequentialDataBlock(1, [0] * 100)
    ctx = ModbusServerContext(devices=ModbusDeviceContext(di=block, co=block, hr=block, ir=block), single=True)
    ident = ModbusDeviceIdentification(
        info_name={
            "VendorName": "Skjold Test Vendor",
            "ProductCode": "STV-PLC-1",
            "MajorMinorRevision": "3.16.1",
            "VendorUrl": "https://example.invalid",
            "ProductName": "Test PLC",
            "ModelName": "Model 7",
            "UserApplicationName": "pump station",
        }
    )
    await StartAsyncTcpServer(context=ctx, identity=ident, address=(addr, port), trace_pdu=trace_pdu)


asyncio.run(main())
