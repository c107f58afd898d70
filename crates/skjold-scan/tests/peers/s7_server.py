"""python-snap7 S7 server for skjold-scan's tests.

Usage: s7_server.py ADDRESS PORT
"""
import sys
import time

import snap7

addr, port = sys.argv[1], int(sys.argv[2])
server = snap7.server.Server()
server.start_to(addr, tcp_port=port) if hasattr(server, "start_to") else server.start(tcp_port=port)
while True:
    time.sleep(3600)
