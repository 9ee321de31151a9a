#!/usr/bin/env python3
"""time_wait_ports.py N: leave N loopback connections in TIME_WAIT (as a load run does), then
probe 200 times for two adjacent free ports the way the swtpm harness used to (a kernel-chosen
port P, then P + 1) and the way it does now (a random P below the ephemeral range), both with
and without SO_REUSEADDR, and print how many pairs were bindable. The TIME_WAIT sockets stay
for a minute: run the swtpm tests (ctest -R tpm_swtpm) in that minute to see them start.

    python3 scripts/time_wait_ports.py 20000
"""
import random
import socket
import sys


def fill(n):
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(4096)
    port = srv.getsockname()[1]
    for _ in range(n):
        c = socket.create_connection(("127.0.0.1", port))
        a, _ = srv.accept()
        c.close()  # the client closes first: its ephemeral port goes to TIME_WAIT
        a.close()
    srv.close()


def can_bind(port, reuse):
    s = socket.socket()
    if reuse:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def kernel_pair(reuse):
    s = socket.socket()
    if reuse:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return can_bind(p + 1, reuse)


def below_range_pair(lo):
    p = random.randint(10000, lo - 2)
    return can_bind(p, True) and can_bind(p + 1, True)


def main():
    if len(sys.argv) != 2 or not sys.argv[1].isdigit() or not 0 <= int(sys.argv[1]) <= 28000:
        sys.exit("usage: time_wait_ports.py N   (0..28000 connections left in TIME_WAIT)")
    n = int(sys.argv[1])
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        lo, hi = map(int, f.read().split())
    fill(n)
    tries = 200
    print(f"{n} connections in TIME_WAIT; ephemeral range {lo}-{hi}; {tries} tries each")
    print(f"  kernel port P, then P+1 (old harness):  {sum(kernel_pair(False) for _ in range(tries))} pairs")
    print(f"  same with SO_REUSEADDR:                 {sum(kernel_pair(True) for _ in range(tries))} pairs")
    if lo - 2 > 10000:
        print(f"  random P in 10000..{lo - 2} (harness now): {sum(below_range_pair(lo) for _ in range(tries))} pairs")


if __name__ == "__main__":
    main()
