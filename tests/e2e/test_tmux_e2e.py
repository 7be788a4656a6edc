"""End to end, as a new user would: the real `thtui` in tmux, driven by keys only, through a full
text -> Piper -> `static` run, read back from the screen with capture-pane until the result shows."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from thtui.core.config import repo_root

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]

COLS, ROWS = 120, 40


class Tmux:
    def __init__(self, socket: str, session: str):
        self.socket, self.session = socket, session

    def run(self, *args: str, check: bool = True) -> str:
        out = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=10)
        if check and out.returncode != 0:
            raise AssertionError(f"tmux {' '.join(args)}: {out.stderr.strip()}")
        return out.stdout

    def keys(self, *keys: str) -> None:
        for key in keys:
            self.run("send-keys", "-t", self.session, key)
            time.sleep(0.15)  # a person's pace; also lets Textual's key parser see separate presses

    def type(self, text: str) -> None:
        self.run("send-keys", "-t", self.session, "-l", text)

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", self.session, check=False)

    def wait_for(self, pattern: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = self.screen()
            if re.search(pattern, text):
                return text
            time.sleep(0.2)
        raise AssertionError(f"{pattern!r} did not appear within {timeout:.0f}s; the screen was:\n{text}")

    def alive(self) -> bool:
        return subprocess.run(["tmux", "-L", self.socket, "has-session", "-t", self.session],
                              capture_output=True).returncode == 0  # fmt: skip


def test_text_to_piper_to_static_in_tmux(tmp_path: Path) -> None:
    home, outputs = tmp_path / "home", tmp_path / "outputs"
    thtui = Path(sys.executable).with_name("thtui")
    assert thtui.exists(), "the `thtui` console script is installed with the package"
    env = {
        "THTUI_HOME": str(home),
        "THTUI_OUTPUTS": str(outputs),
        "THTUI_CONFIG": str(tmp_path / "no-config.yaml"),
        "TERM": "tmux-256color",
    }
    # COLUMNS/LINES (set under pytest) would pin the app to 80x24 whatever the pane's size: drop them.
    command = " ".join(
        ["env", "-u", "COLUMNS", "-u", "LINES", *(f"{k}={v}" for k, v in env.items()), str(thtui)]
    )
    tmux = Tmux(f"thtui-e2e-{uuid.uuid4().hex[:8]}", "e2e")
    tmux.run("-f", os.devnull, "new-session", "-d", "-x", str(COLS), "-y", str(ROWS), "-s", tmux.session,
             "-c", str(repo_root()), command)  # fmt: skip
    try:
        tmux.wait_for(r"1 Solutions.*4 Results", 30)
        tmux.wait_for(r"static\s+ready", 15)

        tmux.keys("2")  # Run
        tmux.wait_for(r"text → speech", 10)
        tmux.wait_for(r"assets/portrait\.jpg", 10)  # the sample image is the default
        tmux.keys("Right", "Space")  # the mode radio has focus: choose text -> speech
        tmux.wait_for(r"TTS\s+piper", 10)
        tmux.keys("Tab", "Tab", "Tab")  # past the images' and the videos' "Pick…" into the text field
        tmux.type("Hello from the terminal.")
        tmux.keys("C-t")  # preview: synthesise and show the duration
        tmux.wait_for(r"✓ \d+\.\d s of speech by piper", 60)

        tmux.keys("C-r")  # start: the app moves to the Monitor
        tmux.wait_for(r"jobs", 15)
        tmux.keys("4")  # Results
        # "done" only once its video is scored too (the jobs column says 1/1 ok as soon as the job ends).
        screen = tmux.wait_for(r"\bdone\s+1/1 ok\b", 120)
        run_id = re.search(r"(\d{8}-\d{6}-[0-9a-f]{4})", screen).group(1)
        assert max(len(line) for line in screen.splitlines()) == COLS, "the app uses the whole pane"
        assert re.search(r"static\s+0\s+1\s+ok", screen), screen
        assert (outputs / run_id / "static" / "result.mp4").is_file()

        tmux.keys("q")  # nothing is running: quits at once
        deadline = time.monotonic() + 15
        while tmux.alive() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not tmux.alive(), tmux.screen()
    finally:
        tmux.run("kill-server", check=False)
