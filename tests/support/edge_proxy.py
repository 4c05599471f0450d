"""What stands in front of the deployment's HAProxy, played by a second real HAProxy.

    with edge_proxy(tmp_path, cluster.port, {"a": "198.51.100.1"}) as edge:
        page.goto(edge.via_host_proxy["a"])   # client a, through the host's TLS proxy
        page.goto(edge.direct)                # a client connecting straight from 127.0.0.2

- The host's TLS proxy (deploy/compose.yaml): it saw each of the test's clients at the address
  the test names, says so in X-Forwarded-For (appended, as proxies do) and X-Forwarded-Proto
  https, and connects to HAProxy from HOST_PROXY (127.0.0.3), as the host reaches HAProxy from
  Docker's gateway. One port per client: the browser always connects from 127.0.0.1.
- A stranger who reaches HAProxy directly, from 127.0.0.2: bytes relayed as they are (TCP), so
  whatever headers the browser sends arrive as a client would send them.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.browser import free_port, stop, wait_for_http
from tests.support.cluster import HAPROXY, HOST_PROXY

STRANGER = "127.0.0.2"


@dataclass(frozen=True)
class Edge:
    via_host_proxy: Mapping[str, str]  # client name -> URL through the host's TLS proxy
    direct: str  # URL a stranger at STRANGER reaches HAProxy through


def _config(target: int, ports: Mapping[str, int], clients: Mapping[str, str], direct: int) -> str:
    lines = [
        "defaults",
        "    timeout connect 5s",
        "    timeout client 60s",
        "    timeout server 60s",
        "    timeout tunnel 1h",
        "backend to_haproxy_from_the_host",
        "    mode http",
        f"    server haproxy 127.0.0.1:{target} source {HOST_PROXY}",
    ]
    for name, address in clients.items():
        lines += [
            f"frontend client_{name}",
            "    mode http",
            f"    bind 127.0.0.1:{ports[name]}",
            f"    http-request set-src ipv4({address})",
            "    option forwardfor",
            "    http-request set-header X-Forwarded-Proto https",
            "    default_backend to_haproxy_from_the_host",
        ]
    lines += [
        "listen stranger",
        "    mode tcp",
        f"    bind 127.0.0.1:{direct}",
        f"    server haproxy 127.0.0.1:{target} source {STRANGER}",
    ]
    return "\n".join(lines) + "\n"


@contextmanager
def edge_proxy(directory: Path, haproxy_port: int, clients: Mapping[str, str]) -> Iterator[Edge]:
    """The stand-ins above, in front of the HAProxy on `haproxy_port`; `clients` maps a name to
    the address the host's TLS proxy saw that client at."""
    directory.mkdir(parents=True, exist_ok=True)
    ports = {name: free_port() for name in clients}
    direct = free_port()
    config = directory / "edge.cfg"
    config.write_text(_config(haproxy_port, ports, clients, direct), encoding="utf-8")
    log = (directory / "edge.log").open("wb")
    proc = subprocess.Popen(
        [HAPROXY, "-db", "-f", str(config)], stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    try:
        urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        edge = Edge(urls, f"http://127.0.0.1:{direct}")
        for url in (*urls.values(), edge.direct):
            wait_for_http(url + "/health", proc=proc)
        yield edge
    finally:
        stop(proc)
        log.close()
