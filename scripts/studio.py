"""`make studio`: the whole picture on one machine. A throwaway local PostgreSQL, the studio
server on it (`showclear serve --store`, with the studio dashboard), and two set nodes on SQLite
that sync to it (`showclear serve --db ... --studio URL`, when this ShowClear has set-node sync).

PostgreSQL is started from the installed binaries exactly as the tests start it
(showclear.adapters.postgres.local_server: initdb in a fresh folder under /tmp, Unix socket
only, fsync on; under root as the `postgres` system user, created if missing), and everything
is stopped and removed on Ctrl-C. The studio's keys, the set nodes' files and their keys are
kept under out/studio/ (removed at each start).

    studio dashboard   http://127.0.0.1:8100/studio/   (studio safety officer `safety`, PIN 9009)
    studio's demo      http://127.0.0.1:8100/p/demo/   (the demo people and PINs, as make demo)
    set node north     http://127.0.0.1:8101/p/north/  (producer `north.prod`, PIN 1001)
    set node south     http://127.0.0.1:8102/p/south/  (producer `south.prod`, PIN 1001)
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from showclear.adapters.postgres.local_server import (
    PostgresServer,
    PostgresUnavailable,
    create_database,
    store_url,
)

ROOT = Path(__file__).resolve().parents[1]

BIN = Path(sys.executable).parent
SHOWCLEAR = str(BIN / "showclear")
OUT = ROOT / "out" / "studio"
HOST = "127.0.0.1"
STUDIO_PORT = 8100
NODES = (("north", 8101), ("south", 8102))
STAFF = ("safety", "Sam Safety", "studio_safety", "9009")


def run(*args: str, stdin: str | None = None) -> None:
    subprocess.run([SHOWCLEAR, *args], input=stdin, text=True, check=True)


def has_sync() -> bool:
    """Whether this ShowClear's `serve` takes --studio (set-node sync)."""
    done = subprocess.run([SHOWCLEAR, "serve", "--help"], capture_output=True, text=True)
    return "--studio" in done.stdout


def wait_for(port: int, procs: list[subprocess.Popen[str]], timeout: float = 60) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for p in procs:
            if p.poll() is not None:
                raise SystemExit(f"a server stopped at start (exit {p.returncode})")
        with socket.socket() as s:
            if s.connect_ex((HOST, port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit(f"nothing listens on port {port} after {timeout:g} s")


def main() -> int:
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    try:
        server = PostgresServer.start_new()
    except PostgresUnavailable as e:
        print(f"make studio: cannot start PostgreSQL: {e}", file=sys.stderr)
        return 1
    procs: list[subprocess.Popen[str]] = []
    try:
        url = store_url(create_database(server.conninfo(), "studio"))
        keys = OUT / "studio.keys"
        run("studio", "init", "--store", url, "--keys", str(keys))  # its co-signing key
        person, name, role, pin = STAFF
        run("staff", "add", "--store", url, "--person", person, "--name", name, "--role", role,
            stdin=f"{pin}\n{pin}\n")  # fmt: skip
        procs.append(subprocess.Popen(
            [SHOWCLEAR, "serve", "--store", url, "--keys", str(keys), "--demo",
             "--host", HOST, "--port", str(STUDIO_PORT)], text=True,
        ))  # fmt: skip
        wait_for(STUDIO_PORT, procs)
        studio = f"http://{HOST}:{STUDIO_PORT}"
        sync = has_sync()
        for production, port in NODES:
            db = OUT / f"{production}.db"
            producer = f"{production}.prod"
            run("init", "--db", str(db), "--production", production, "--title",
                production.title(), "--producer", producer, "--name", "Producer")  # fmt: skip
            run("pin", "set", "--db", str(db), "-p", production, "--person", producer,
                stdin="1001\n1001\n")  # fmt: skip
            command = [SHOWCLEAR, "serve", "--db", str(db), "--host", HOST, "--port", str(port)]
            if sync:  # enrolled as the production's writer, trusting the studio's key
                run("studio", "enroll", "--store", url, "--keys", str(keys), "--production",
                    production, "--key", f"{db}.keys/ledger_ed25519.vkey")  # fmt: skip
                command += ["--studio", studio, "--studio-key",
                            str(keys / "witness_ed25519.vkey")]  # fmt: skip
            procs.append(subprocess.Popen(command, text=True))
            wait_for(port, procs)
        print()
        print(f"Studio dashboard: {studio}/studio/  (sign in as {person}, PIN {pin})")
        print(f"Studio's own demo production: {studio}/p/demo/  (arm / 2002, as make demo)")
        for production, port in NODES:
            print(f"Set node {production}: http://{HOST}:{port}/p/{production}/  "
                  f"({production}.prod / 1001)")  # fmt: skip
        if not sync:
            print("This ShowClear has no set-node sync yet (`serve --studio`): the set nodes "
                  "run alone; the dashboard shows the studio's productions only.")  # fmt: skip
        print("Ctrl-C stops everything.")
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
        return 0
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
        server.stop()


if __name__ == "__main__":
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    raise SystemExit(main())
