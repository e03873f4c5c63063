"""Debian's Chromium for the report's browser test: installed with apt-get when missing.

Playwright drives it through ``executable_path``; Playwright never downloads a browser here.
``find_chromium`` returns the executable, or None and the reason there is none (the test then
skips with that reason).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
INSTALL_TIMEOUT = 900
# a browser that stays offline: no QUIC, no first-run, component, sync or background traffic
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def install_chromium() -> str | None:
    """apt-get install chromium; None when done, else why it could not be done."""
    if os.geteuid() != 0:
        return f"{CHROMIUM} missing and not root: cannot apt-get install chromium"
    if not shutil.which("apt-get"):
        return f"{CHROMIUM} missing and no apt-get on this machine"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "chromium"]
    reason = "apt-get install chromium failed"
    for commands in ([install], [["apt-get", "update", "-q"], install]):
        try:
            for command in commands:
                subprocess.run(
                    command, check=True, capture_output=True, env=env, timeout=INSTALL_TIMEOUT
                )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            reason = f"apt-get install chromium failed: {exc}"
            continue
        return None if CHROMIUM.exists() else "apt-get installed chromium but not /usr/bin/chromium"
    return reason


def find_chromium() -> tuple[Path | None, str]:
    """Debian's Chromium, installed first when missing; or None and why."""
    if CHROMIUM.exists():
        return CHROMIUM, ""
    reason = install_chromium()
    if reason:
        return None, reason
    return CHROMIUM, ""
