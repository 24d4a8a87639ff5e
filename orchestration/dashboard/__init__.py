"""The BI dashboard (Streamlit) over the published copy of the marts: `lcw dashboard`.

It reads only the published file, read-only, opening it for each query, so a new publish shows
on the next interaction without a restart (queries.py). The app itself is app.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

APP = Path(__file__).with_name("app.py")
PUBLISHED_ENV = "LCW_PUBLISHED"


def streamlit_command(port: int) -> list[str]:
    """`streamlit run` of the app, headless, on localhost, without usage statistics (it works
    offline), and without reloading on source changes."""
    return [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
        "--client.toolbarMode", "viewer",  # BI users get no deploy or developer menu
    ]  # fmt: skip


def run_dashboard(published: Path, port: int) -> int:
    """Serve the dashboard for `published` on http://127.0.0.1:<port> until interrupted."""
    if not published.is_file():
        print(f"lcw dashboard: error: no published copy at {published}", file=sys.stderr)
        return 1
    env = {**os.environ, PUBLISHED_ENV: str(published.resolve())}
    print(f"Dashboard over {published} at http://127.0.0.1:{port}", flush=True)
    try:
        return subprocess.run(streamlit_command(port), env=env).returncode
    except KeyboardInterrupt:
        return 0
