"""A closed-loop HTTP load generator: N clients, each sending the same POST again as soon as the answer is in.

Used by benchmarks/run.py (serving figures, the 60 s soak) and by tests/test_reliability_service.py.
It runs in-process on asyncio with aiohttp (one keep-alive connection per client), so it needs no
tool from outside Python; on the same 2 cores as the server it takes some of the CPU, equally for
every server it measures.

    stats = asyncio.run(hammer("http://127.0.0.1:3000/predict", body, clients=16, seconds=15))
"""

import asyncio
import time
from collections import Counter
from collections.abc import Callable

import aiohttp
import numpy as np
import psutil


async def hammer(
    url: str,
    body: bytes,
    clients: int,
    seconds: float,
    sample: Callable[[], float] | None = None,
    sample_every: float = 1.0,
) -> dict:
    """Send `body` to `url` from `clients` concurrent clients for `seconds`; return the figures.

    `sample`, if given, is called every `sample_every` seconds during the run (for example the
    server's memory); its values are returned as `samples`.
    """
    latencies: list[float] = []
    statuses: Counter = Counter()
    errors: Counter = Counter()
    samples: list[float] = []
    deadline = time.perf_counter() + seconds
    headers = {"Content-Type": "application/json"}
    # One connection per client: limit=clients keeps aiohttp from opening more.
    connector = aiohttp.TCPConnector(limit=clients, force_close=False)
    timeout = aiohttp.ClientTimeout(total=30)

    async def client(session: aiohttp.ClientSession) -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()
                    statuses[response.status] += 1
            except (aiohttp.ClientError, TimeoutError) as problem:
                errors[type(problem).__name__] += 1
                continue
            latencies.append(time.perf_counter() - started)

    async def sampler() -> None:
        while time.perf_counter() < deadline:
            samples.append(sample())
            await asyncio.sleep(sample_every)

    started = time.perf_counter()
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        tasks = [client(session) for _ in range(clients)]
        if sample is not None:
            tasks.append(sampler())
        await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    ok = statuses.get(200, 0)
    millis = np.array(latencies) * 1000 if latencies else np.array([float("nan")])
    return dict(
        clients=clients,
        seconds=round(elapsed, 2),
        requests=sum(statuses.values()) + sum(errors.values()),
        ok=ok,
        # Anything but a 200, and connection failures, are errors here: the body is always valid.
        errors=sum(statuses.values()) - ok + sum(errors.values()),
        statuses={str(code): count for code, count in sorted(statuses.items())},
        failures=dict(errors),
        throughput=round(ok / elapsed, 1),
        p50_ms=round(float(np.percentile(millis, 50)), 1),
        p99_ms=round(float(np.percentile(millis, 99)), 1),
        samples=samples,
    )


def server_processes(port: int) -> list[psutil.Process]:
    """The processes of the server listening on 127.0.0.1:`port`: the one that listens, and its children.

    BentoML's arbiter and its worker both hold the listening socket; the root is the one whose parent
    does not.
    """
    listening = {
        connection.pid
        for connection in psutil.net_connections(kind="tcp")
        if connection.laddr and connection.laddr.port == port and connection.status == psutil.CONN_LISTEN
    }
    roots = [psutil.Process(pid) for pid in listening if psutil.Process(pid).ppid() not in listening]
    found = {}
    for root in roots:
        for process in [root, *root.children(recursive=True)]:
            found[process.pid] = process
    return list(found.values())


def tree_rss_mb(port: int) -> float:
    """The resident memory of all the server's processes together, in MB."""
    total = 0
    for process in server_processes(port):
        try:
            total += process.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total / 2**20
