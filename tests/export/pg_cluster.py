"""A throwaway PostgreSQL server for tests: Debian's binaries, a temporary cluster, a free port.

The binaries are installed with apt-get when missing (as root). initdb refuses to run as root,
so as root the cluster belongs to the `postgres` system user the package creates
(stack-notes.md). `start_cluster` returns None and a reason when no server can be had.
"""

from __future__ import annotations

import os
import pwd
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

PG_ROOT = Path("/usr/lib/postgresql")
INSTALL_TIMEOUT = 900


def _version(path: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", path.parent.parent.name) or [0])


def find_bin_dir() -> Path | None:
    """The newest PostgreSQL bin folder with initdb and pg_ctl."""
    candidates = sorted(PG_ROOT.glob("*/bin/initdb"), key=_version)
    if candidates:
        return candidates[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def install_binaries() -> str | None:
    """apt-get install postgresql; None when done, else why it could not be done."""
    if os.geteuid() != 0:
        return "PostgreSQL binaries missing and not root: cannot apt-get install postgresql"
    if not shutil.which("apt-get"):
        return "PostgreSQL binaries missing and no apt-get on this machine"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", "postgresql"]
    for commands in ([install], [["apt-get", "update", "-q"], install]):
        try:
            for command in commands:
                subprocess.run(
                    command, check=True, capture_output=True, env=env, timeout=INSTALL_TIMEOUT
                )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            reason = f"apt-get install postgresql failed: {exc}"
            continue
        return None if find_bin_dir() else "apt-get installed postgresql but no initdb found"
    return reason


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Cluster:
    bin_dir: Path
    folder: Path
    port: int
    owner: str | None  # the system user running the server (None = this process's user)

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def dsn(self) -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self.owner:
            command = ["su", self.owner, "-s", "/bin/sh", "-c", shlex.join(command)]
        # run from the cluster's folder: the `postgres` user may not enter the current one
        return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=self.folder)

    def stop(self) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


def start_cluster() -> tuple[Cluster | None, str]:
    """A running throwaway cluster, or None and the reason there is none."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        reason = install_binaries()
        if reason:
            return None, reason
        bin_dir = find_bin_dir()
    assert bin_dir is not None
    owner = None
    folder = Path(tempfile.mkdtemp(prefix="flexlens-pg-"))
    if os.geteuid() == 0:
        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(folder)
            return None, "running as root and no `postgres` system user to own the cluster"
        os.chown(folder, account.pw_uid, account.pw_gid)
        owner = "postgres"
    cluster = Cluster(bin_dir=bin_dir, folder=folder, port=free_port(), owner=owner)
    init = cluster.run(
        "initdb", "-D", str(cluster.data), "-A", "trust", "-U", "postgres", "-E", "UTF8"
    )
    if init.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        return None, f"initdb failed: {init.stderr.strip()[-300:]}"
    options = (
        f"-p {cluster.port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c deadlock_timeout=200ms"
    )
    started = cluster.run(
        "pg_ctl", "-D", str(cluster.data), "-o", options, "-l", str(folder / "log"), "-w", "start"
    )
    if started.returncode != 0:
        log_file = folder / "log"
        log = log_file.read_text(errors="replace")[-300:] if log_file.exists() else ""
        shutil.rmtree(folder, ignore_errors=True)
        return None, f"pg_ctl start failed: {started.stderr.strip()[-300:]} {log}"
    return cluster, ""
