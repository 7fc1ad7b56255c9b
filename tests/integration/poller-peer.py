"""An independent Modbus TCP peer for the poller tests: pymodbus (Debian
python3-pymodbus) standing in for a Hiking DDS238 meter (holding
registers, uint32 ABCD energy in 0.01 kWh at 0x000A, relay at 0x001A:
1 on, 0 off). The counter advances 0.01 kWh every 3 s (12 kW, plausible
for the meter) while the relay is on; every 0.2 s "counter relay" is
written to STATE_FILE.

usage: poller-peer.py PORT START_COUNTER STATE_FILE
"""
import os
import sys
import threading
import time

from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.server import StartTcpServer

port, counter, state_file = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
block = ModbusSequentialDataBlock(0, [0] * 0x20)
slave = ModbusSlaveContext(hr=block, zero_mode=True)
context = ModbusServerContext(slaves={1: slave}, single=False)


def put32(addr, v):
    block.setValues(addr, [(v >> 16) & 0xFFFF, v & 0xFFFF])


put32(0x000A, counter)
put32(0x0000, counter)
block.setValues(0x001A, [1])


def tick():
    global counter
    n = 0
    while True:
        relay = block.getValues(0x001A, 1)[0]
        n += 1
        if relay == 1 and n % 15 == 0:
            counter += 1
            put32(0x000A, counter)
            put32(0x0000, counter)
        with open(state_file + ".tmp", "w") as f:
            f.write("%d %d\n" % (counter, relay))
        os.replace(state_file + ".tmp", state_file)
        time.sleep(0.2)


threading.Thread(target=tick, daemon=True).start()
StartTcpServer(context=context, address=("127.0.0.1", port))
