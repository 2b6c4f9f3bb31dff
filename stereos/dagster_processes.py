"""The Dagster daemon and UI that `stereos start` runs beside the API."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

from stereos.settings import Settings

logger = logging.getLogger(__name__)

CODE_LOCATION = ("-m", "pipeline.definitions")
STOP_TIMEOUT_S = 10


def dagster_env(settings: Settings, database_url: str) -> dict[str, str]:
    """The environment of the Dagster processes: instance, storage, database."""
    home = settings.dagster_home.resolve()
    if settings.dagster_storage == "postgres":
        home = home / "postgres"
    storage = (settings.data_dir / "dagster").resolve()
    storage.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env |= {
        "DAGSTER_HOME": str(home),
        "STEREOS_DAGSTER_STORAGE_DIR": str(storage),
        "DATABASE_URL": database_url,
        "DAGSTER_PG_URL": settings.dagster_database_url or database_url,
    }
    return env


def start_dagster(
    settings: Settings, database_url: str
) -> list[subprocess.Popen[bytes]]:
    """Start the daemon (sensors, schedules, run queue) and the UI on loopback.

    Returns no process when Dagster is not installed (the `pipeline` extra).
    """
    bin_dir = Path(sys.executable).parent
    daemon = shutil.which("dagster-daemon", path=str(bin_dir))
    webserver = shutil.which("dagster-webserver", path=str(bin_dir))
    if daemon is None or webserver is None:
        logger.warning("dagster is not installed: the marts will not refresh")
        return []
    env = dagster_env(settings, database_url)
    ui = [webserver, "-h", settings.dagster_host, "-p", str(settings.dagster_port)]
    return [
        subprocess.Popen([daemon, "run", *CODE_LOCATION], env=env),
        subprocess.Popen([*ui, *CODE_LOCATION], env=env),
    ]


def stop_dagster(processes: list[subprocess.Popen[bytes]]) -> None:
    """Stop the processes we started: politely, then for good."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
