"""The HTTP endpoints under slow clients (issue 12, item 13): clients that
trickle a request a byte at a time, or go silent, must not keep /metrics and
/readyz from answering.

The checks are bounded waits ("answered at all within a few seconds"); the
latencies measured are printed for the record, not asserted.
"""

import socket
import threading
import time
import unittest

from sluice_e2e import SluiceTestCase, free_port, http_get

REQUEST = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 4000


class SlowClients:
    """`n` connections, each sending REQUEST one byte every `interval` seconds
    until stopped (a connection the server drops is not reopened)."""

    def __init__(self, port, n, interval):
        self.port, self.interval = port, interval
        self.stopping = threading.Event()
        self.socks = [socket.create_connection(("127.0.0.1", port), timeout=5)
                      for _ in range(n)]
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        live = list(self.socks)
        for i in range(len(REQUEST)):
            for s in list(live):
                try:
                    s.send(REQUEST[i:i + 1])
                except OSError:
                    live.remove(s)
            if self.stopping.wait(self.interval):
                return

    def close(self):
        """Stops sending; returns how many connections the server had closed."""
        self.stopping.set()
        self.thread.join(timeout=10)
        closed = 0
        for s in self.socks:
            s.setblocking(False)
            try:
                closed += s.recv(1) == b""
            except BlockingIOError:
                pass  # still open
            except OSError:
                closed += 1
            s.close()
        return closed


class SlowClientsTest(SluiceTestCase):

    def start(self):
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        proc = self.start_run("--http", f"127.0.0.1:{port}")

        def up():
            try:
                return http_get(self.base + "/readyz", timeout=1)[0] == 200
            except OSError:
                return False
        self.wait_for(up, 15, "/readyz 200", proc=proc)
        return port, proc

    def timed_get(self, path, limit):
        """(status, seconds) of a GET answered within `limit` seconds; fails
        the test if it is not."""
        start = time.monotonic()
        try:
            status, _ = http_get(self.base + path, timeout=limit)
        except OSError as e:
            self.fail(f"{path} did not answer within {limit}s with slow clients connected: {e}")
        return status, time.monotonic() - start

    def check_endpoints(self, what):
        # Give the slow clients time to be accepted and hold whatever they hold.
        time.sleep(0.5)
        for path in ("/metrics", "/readyz"):
            status, seconds = self.timed_get(path, limit=5)
            self.assertEqual(status, 200, path)
            print(f"\n{what}: {path} answered in {seconds * 1000:.0f} ms")

    def test_twenty_clients_trickling_fast_do_not_starve_metrics(self):
        # A byte every 0.3 s: faster than any read timeout, so each holds a
        # connection (and a server thread) for as long as the test runs.
        port, proc = self.start()
        clients = SlowClients(port, 20, 0.3)
        try:
            self.check_endpoints("20 clients trickling a byte every 0.3 s")
            self.assertIsNone(proc.poll())
        finally:
            clients.close()
        self.assertEqual(self.stop(proc), 0)

    def test_forty_clients_sending_a_byte_every_two_seconds(self):
        # More slow clients than server threads: only a read timeout frees the
        # threads they hold.
        port, proc = self.start()
        clients = SlowClients(port, 40, 2.0)
        try:
            self.check_endpoints("40 clients sending a byte every 2 s")
        finally:
            dropped = clients.close()
        print(f"\nthe server had dropped {dropped} of the 40 slow clients")
        self.assertEqual(self.stop(proc), 0)


if __name__ == "__main__":
    unittest.main()
