"""A UDP relay between MQTT-SN clients and a gateway that drops a fraction of the
datagrams in each direction, with a seeded random generator so a run is repeatable.

    relay = LossyRelay(("127.0.0.1", gateway_port), loss=0.10, seed=5)
    client = snraw.SnClient(relay.addr)       # talks to the relay's front port
    ...
    relay.stats()  # {"up": (forwarded, dropped), "down": (forwarded, dropped)}
    relay.close()

Each client address gets its own back socket towards the gateway, so the gateway sees
one distinct peer per client, as without the relay.
"""
import random
import selectors
import socket
import threading


class LossyRelay:
    def __init__(self, gateway, loss=0.10, seed=1):
        self.gateway = gateway
        self.loss = loss
        self.rng = random.Random(seed)
        self.front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.front.bind(("127.0.0.1", 0))
        self.addr = self.front.getsockname()
        self.backs = {}  # client address -> socket towards the gateway
        self.counts = {"up": [0, 0], "down": [0, 0]}
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.front, selectors.EVENT_READ, None)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _drop(self, direction):
        with self._lock:
            lost = self.rng.random() < self.loss
            self.counts[direction][1 if lost else 0] += 1
            return lost

    def _back_for(self, client):
        sock = self.backs.get(client)
        if sock is None:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.bind(("127.0.0.1", 0))
            self.backs[client] = sock
            self.sel.register(sock, selectors.EVENT_READ, client)
        return sock

    def _run(self):
        while not self._stop.is_set():
            for key, _ in self.sel.select(timeout=0.1):
                try:
                    data, src = key.fileobj.recvfrom(65535)
                except OSError:
                    continue
                if key.data is None:  # client -> gateway
                    if not self._drop("up"):
                        self._back_for(src).sendto(data, self.gateway)
                elif not self._drop("down"):  # gateway -> client key.data
                    self.front.sendto(data, key.data)

    def stats(self):
        with self._lock:
            return {d: tuple(c) for d, c in self.counts.items()}

    def close(self):
        self._stop.set()
        self.thread.join(2)
        for sock in [self.front, *self.backs.values()]:
            sock.close()
        self.sel.close()
