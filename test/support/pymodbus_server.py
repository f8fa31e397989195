#!/usr/bin/python3
"""An independent Modbus server for the poller's e2e tests, built on Debian's python3-pymodbus
(3.0.0rc1). It encodes engineering values itself, so the poller's decoding is checked against a
second implementation of the register layout, not against our own codec.

Usage: /usr/bin/python3 pymodbus_server.py values.json
       /usr/bin/python3 pymodbus_server.py --check   (imports and contexts work; for install-services.sh)

values.json:
{
  "hv":    {"port": 15020, "baseUnit": 10,
            "channels": [{"vset": 1400.0, "iset": 2.5, "power": 1,
                          "vmon": 1399.8, "imon": -1.234, "status": 1}, ...]},
  "pt100": {"port": 15021, "units": {"11": [22.3, -10.0, null, ...]}}   (optional)
}

"hv" follows config/profiles/vendor-x-hv.yaml: one unit id per channel (baseUnit + channel);
holding 0 vset int16 x0.1 V, 1 iset int16 x0.01 uA, 2 power uint16; input 0 vmon int16 x0.1 V,
1-2 imon int32 x0.001 uA in CDAB word order (low word first), 3 status uint16.
"pt100" follows config/profiles/pt100-8ch.yaml but is served with RTU framing over TCP (what a
serial device server does): input registers 0-7, int16 x0.1 degC, null -> 0x8000 (sensor open).

Prints "listening hv=<port> pt100=<port>" once both sockets accept connections.
"""
import asyncio
import json
import logging
import signal
import sys

from pymodbus.datastore import (
    ModbusSequentialDataBlock,
    ModbusServerContext,
    ModbusSlaveContext,
)
from pymodbus.framer.rtu_framer import ModbusRtuFramer
from pymodbus.framer.socket_framer import ModbusSocketFramer
from pymodbus.server.async_io import ModbusTcpServer


def int16(value, scale):
    return int(round(value / scale)) & 0xFFFF


def int32_cdab(value, scale):
    raw = int(round(value / scale)) & 0xFFFFFFFF
    return [raw & 0xFFFF, (raw >> 16) & 0xFFFF]  # CDAB: low word first


def block(values):
    # zero_mode=True below: register address n is values[n]
    return ModbusSequentialDataBlock(0, values + [0] * (16 - len(values)))


def hv_context(spec):
    slaves = {}
    for n, ch in enumerate(spec["channels"]):
        hr = [int16(ch["vset"], 0.1), int16(ch["iset"], 0.01), int(ch["power"])]
        ir = [int16(ch["vmon"], 0.1)] + int32_cdab(ch["imon"], 0.001) + [int(ch["status"])]
        slaves[spec["baseUnit"] + n] = ModbusSlaveContext(hr=block(hr), ir=block(ir), zero_mode=True)
    return ModbusServerContext(slaves=slaves, single=False)


def pt100_context(spec):
    slaves = {}
    for unit, temps in spec["units"].items():
        ir = [0x8000 if t is None else int16(t, 0.1) for t in temps]
        slaves[int(unit)] = ModbusSlaveContext(ir=block(ir), hr=block([]), zero_mode=True)
    return ModbusServerContext(slaves=slaves, single=False)


async def main(path):
    with open(path, encoding="utf-8") as f:
        spec = json.load(f)
    servers = [
        ModbusTcpServer(
            hv_context(spec["hv"]),
            framer=ModbusSocketFramer,
            address=("127.0.0.1", spec["hv"]["port"]),
            allow_reuse_address=True,
        )
    ]
    if "pt100" in spec:
        servers.append(
            ModbusTcpServer(
                pt100_context(spec["pt100"]),
                framer=ModbusRtuFramer,
                address=("127.0.0.1", spec["pt100"]["port"]),
                allow_reuse_address=True,
            )
        )
    tasks = [asyncio.create_task(s.serve_forever()) for s in servers]
    for s in servers:
        await s.serving
    print(f"listening hv={spec['hv']['port']} pt100={spec.get('pt100', {}).get('port')}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    for s in servers:
        await s.shutdown()
    for t in tasks:
        t.cancel()


def self_check():
    """--check (test/install-services.sh): the imports above worked; build both kinds of context."""
    hv_context({"baseUnit": 10, "channels": [{"vset": 1, "iset": 1, "power": 1, "vmon": 1, "imon": 1, "status": 1}]})
    pt100_context({"units": {"11": [22.0, None]}})
    print("pymodbus", getattr(sys.modules.get("pymodbus"), "__version__", "?"), "ok")


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    if sys.argv[1:] == ["--check"]:
        self_check()
    else:
        asyncio.run(main(sys.argv[1]))
