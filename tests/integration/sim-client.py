#!/usr/bin/python3
"""An independent Modbus peer for the simulator tests (Debian python3-pymodbus).

Decodes words with Python's struct module from the profile files, never with
meters/codec.c, so a mistake in the codec cannot hide itself.

  sim-client.py [--tcp HOST:PORT | --rtu DEVICE] [--timeout S] read UNIT FC ADDR COUNT
  sim-client.py ... write06 UNIT ADDR VALUE
  sim-client.py ... write16 UNIT ADDR VALUE...
  sim-client.py mapcheck CONTROL_URL PROFILES_DIR TCP_HOST PORT_OFFSET RTU_DIR

Exit: 0 ok, 3 Modbus exception ("exception N"), 4 no usable answer ("error ...").
mapcheck prints TAP lines (no plan) and exits 0.
"""
import json
import logging
import struct
import sys
import urllib.request

logging.disable(logging.CRITICAL)
from pymodbus.client import ModbusSerialClient, ModbusTcpClient  # noqa: E402


def client(target, timeout):
    kind, where = target
    if kind == "tcp":
        host, port = where.rsplit(":", 1)
        # pymodbus 3.0rc1 cannot connect with a timeout below 1 s: connect, then shorten it
        c = ModbusTcpClient(host, port=int(port), timeout=max(timeout, 1), retries=0)
    else:
        # a pty has no parity; pyserial's tcsetattr with parity E fails on one (EINVAL)
        c = ModbusSerialClient(where, baudrate=9600, parity="N", timeout=timeout, retries=0)
    if not c.connect():
        print("error cannot connect to %s" % where)
        sys.exit(4)
    c.params.timeout = timeout
    if kind == "tcp":
        c.socket.settimeout(timeout)
    return c


def call(fn, *a, **kw):
    """Returns (registers or True, None) or (None, exit code) after printing why."""
    try:
        rr = fn(*a, **kw)
    except Exception as e:  # pymodbus raises on broken frames and timeouts
        return None, ("error %s" % type(e).__name__, 4)
    if rr is None:
        return None, ("error no response", 4)
    if rr.isError():
        code = getattr(rr, "exception_code", None)
        if code:
            return None, ("exception %d" % code, 3)
        return None, ("error %s" % type(rr).__name__, 4)
    return (getattr(rr, "registers", None) or True), None


def decode(words, typ, order):
    if typ in ("uint16", "int16"):
        b = struct.pack(">H", words[0]) if order in ("ABCD", "CDAB") else struct.pack("<H", words[0])
        return struct.unpack(">H" if typ == "uint16" else ">h", b)[0]
    w0, w1 = words[0], words[1]
    b = {"ABCD": struct.pack(">HH", w0, w1), "CDAB": struct.pack(">HH", w1, w0),
         "BADC": struct.pack("<HH", w0, w1), "DCBA": struct.pack("<HH", w1, w0)}[order]
    return struct.unpack({"uint32": ">I", "int32": ">i", "float32": ">f"}[typ], b)[0]


def addr(v):
    return int(v, 16) if isinstance(v, str) else v


def read_reg(c, unit, fc, a, n):
    fn = c.read_holding_registers if fc == 3 else c.read_input_registers
    return call(fn, a, n, slave=unit)


def mapcheck(url, profdir, host, offset, rtudir):
    meters = json.load(urllib.request.urlopen(url + "/meters"))
    gws = {g["id"]: g for g in json.load(urllib.request.urlopen(url + "/gateways"))}
    n = 0
    for m in meters:
        prof = json.load(open("%s/%s.json" % (profdir, m["profile"])))
        g = gws["%s/%s" % (m["site"], m["gateway"])]
        target = ("rtu", g["device"]) if g["transport"] == "rtu" else ("tcp", "%s:%d" % (g["host"], g["port"]))
        c = client(target, 2.0)
        regs = prof["registers"]
        checks = [q for q in ("energy_import", "energy_sharp", "energy_peak", "energy_flat", "energy_valley")
                  if q in regs]
        bands = 0
        total = None
        for q in checks:
            r = regs[q]
            nw = 1 if r["type"] in ("uint16", "int16") else 2
            before = json.load(urllib.request.urlopen("%s/meters/%s" % (url, m["id"])))
            words, err = read_reg(c, m["unit"], r["fc"], addr(r["address"]), nw)
            after = json.load(urllib.request.urlopen("%s/meters/%s" % (url, m["id"])))
            n += 1
            name = "%s %s %s fc%d 0x%04x %s %s" % (m["id"], m["profile"], q, r["fc"], addr(r["address"]),
                                                  r["type"], r["order"])
            if err:
                print("not ok %d - %s: %s" % (n, name, err[0]))
                continue
            wh = decode(words, r["type"], r["order"]) * r["scale"] * 1000.0
            # integer registers step by their scale; a float32 by its ulp (24-bit mantissa)
            step = r["scale"] * 1000.0 if r["type"] != "float32" else abs(wh) * 2.0 ** -22 + 2.0
            if q == "energy_import":
                lo, hi = before["register"], after["register"]
                total = wh
            else:
                band = q[len("energy_"):]
                lo = before["tou_wh"][band] // m["ratio"]
                hi = after["tou_wh"][band] // m["ratio"]
                bands += wh
            ok = lo - step - 1 <= wh <= hi + (1 if r["type"] != "float32" else step)
            print("%s %d - %s reads %.3f Wh, the simulator holds %d..%d" % ("ok" if ok else "not ok", n, name,
                                                                          wh, lo, hi))
        if bands:
            n += 1
            ok = abs(bands - total) <= 4 * 10 + 1
            print("%s %d - %s TOU bands add up to the total (%.0f vs %.0f Wh)" % ("ok" if ok else "not ok", n,
                                                                                 m["id"], bands, total))
        if "relay" in prof:
            st = prof["relay"].get("state", {"fc": 3, "address": prof["relay"]["address"],
                                              "on": prof["relay"]["on"], "off": prof["relay"]["off"]})
            words, err = read_reg(c, m["unit"], st["fc"], addr(st["address"]), len(st["on"]))
            want = st["on"] if m["supply"] == "on" else st["off"]
            n += 1
            ok = err is None and list(words) == want
            print("%s %d - %s relay state register reads %s for supply %s" % ("ok" if ok else "not ok", n,
                                                                             m["id"], words, m["supply"]))
        c.close()


def main(argv):
    target, timeout = None, 1.0
    while argv and argv[0].startswith("--"):
        if argv[0] == "--tcp":
            target = ("tcp", argv[1])
        elif argv[0] == "--rtu":
            target = ("rtu", argv[1])
        elif argv[0] == "--timeout":
            timeout = float(argv[1])
        argv = argv[2:]
    cmd, args = argv[0], argv[1:]
    if cmd == "mapcheck":
        mapcheck(args[0], args[1], args[2], int(args[3]), args[4])
        return 0
    c = client(target, timeout)
    if cmd == "read":
        unit, fc, a, n = (int(x, 0) for x in args)
        res, err = read_reg(c, unit, fc, a, n)
    elif cmd == "write06":
        unit, a, v = (int(x, 0) for x in args)
        res, err = call(c.write_register, a, v, slave=unit)
    elif cmd == "write16":
        unit, a = int(args[0], 0), int(args[1], 0)
        res, err = call(c.write_registers, a, [int(x, 0) for x in args[2:]], slave=unit)
    else:
        print("unknown command %s" % cmd)
        return 2
    c.close()
    if err:
        print(err[0])
        return err[1]
    print(" ".join(str(w) for w in res) if isinstance(res, list) else "ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
