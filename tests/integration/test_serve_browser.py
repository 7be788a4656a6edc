"""`thtui serve` in a real headless browser (Debian's chromium, driven over the DevTools protocol with
aiohttp's websocket client): the page shows the Solutions table, and a key press switches screens.
Skips cleanly without chromium or textual-serve. The server and the browser are stopped at the end."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

CHROMIUM = next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser")) if p), None)
pytest.importorskip("textual_serve")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt-get install chromium)"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.1)
    raise AssertionError(f"nothing listens on {port} after {timeout:.0f}s")


def stop(proc: subprocess.Popen) -> None:
    """End a process group we started (server + its app processes, or chromium + its helpers)."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, 15)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait(5)


class Page:
    """The smallest DevTools client this test needs. The terminal is drawn on a canvas, so what the app
    shows is read from the websocket frames the page receives from the server (Network events): the
    same bytes xterm.js draws."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.next_id = 0
        self.replies: dict[int, asyncio.Future] = {}
        self.frames: list[str] = []
        self.reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        async for raw in self.ws:
            msg = json.loads(raw.data)
            if "id" in msg and msg["id"] in self.replies:
                self.replies.pop(msg["id"]).set_result(msg)
            elif msg.get("method") == "Network.webSocketFrameReceived":
                frame = msg["params"]["response"]
                data = frame.get("payloadData", "")
                if frame.get("opcode") == 2:  # textual-serve's binary packets: type byte, length, bytes
                    data = base64.b64decode(data)[5:].decode("utf-8", "replace")
                self.frames.append(data)

    async def call(self, method: str, **params):
        self.next_id += 1
        reply = self.replies[self.next_id] = asyncio.get_running_loop().create_future()
        await self.ws.send_str(json.dumps({"id": self.next_id, "method": method, "params": params}))
        msg = await asyncio.wait_for(reply, 30)
        assert "error" not in msg, msg
        return msg["result"]

    async def wait_text(self, words: str, timeout: float, since: int = 0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = "".join(self.frames[since:])
            if words in text:
                return text
            await asyncio.sleep(0.25)
        raise AssertionError(f"{words!r} not received after {timeout:.0f}s ({len(self.frames)} frames)")

    async def press(self, key: str) -> None:
        for kind in ("keyDown", "keyUp"):
            extra = {"text": key} if kind == "keyDown" else {}
            await self.call("Input.dispatchKeyEvent", type=kind, key=key, code=f"Digit{key}", **extra)

    async def screenshot(self, path: Path) -> bytes:
        data = base64.b64decode((await self.call("Page.captureScreenshot", format="png"))["data"])
        path.write_bytes(data)
        return data


async def drive(debug_port: int, url: str, shots: Path) -> tuple[str, str, bytes, bytes]:
    import aiohttp

    async with aiohttp.ClientSession() as http:
        targets = await (await http.get(f"http://127.0.0.1:{debug_port}/json/list")).json()
        page_target = next(t for t in targets if t["type"] == "page")
        async with http.ws_connect(page_target["webSocketDebuggerUrl"], max_msg_size=0) as ws:
            page = Page(ws)
            await page.call("Page.enable")
            await page.call("Network.enable")
            await page.call("Page.navigate", url=url)
            await page.wait_text("Solutions", 60)
            before = await page.wait_text("audio2head", 30)  # the first row (static: below the fold)
            await asyncio.sleep(1.0)  # let the canvas draw what arrived
            first = await page.screenshot(shots / "solutions.png")
            await page.call("Runtime.evaluate", expression="document.querySelector('textarea')?.focus()")
            mark = len(page.frames)
            await page.press("4")
            after = await page.wait_text("[4 Results]", 30, since=mark)
            await asyncio.sleep(1.0)
            second = await page.screenshot(shots / "results.png")
            page.reader.cancel()
            return before, after, first, second


def test_serve_shows_solutions_and_switches_screens(settings, tmp_path: Path) -> None:
    port, debug_port = free_port(), free_port()
    env = dict(os.environ, THTUI_HOME=str(settings.data_root), THTUI_OUTPUTS=str(settings.outputs_dir))
    server = subprocess.Popen(
        [sys.executable, "-m", "thtui", "serve", "--port", str(port)],
        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True, text=True,
    )  # fmt: skip
    browser = None
    try:
        wait_port(port, 30)
        browser = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", f"--remote-debugging-port={debug_port}",
             "--window-size=1280,800", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        wait_port(debug_port, 30)
        before, after, first, second = asyncio.run(
            asyncio.wait_for(drive(debug_port, f"http://127.0.0.1:{port}", tmp_path), 150)
        )
    finally:
        if browser is not None:
            stop(browser)
        stop(server)
    banner = server.stdout.read() if server.stdout else ""
    assert f"open http://127.0.0.1:{port}" in banner
    assert f"-L {port}:127.0.0.1:{port}" in banner  # the SSH tunnel hint
    assert "Install" in before and "audio2head" in before  # the Solutions table and its keys
    assert "[1 Solutions]" in before  # the nav bar marks the current screen
    assert "[4 Results]" in after and "jobs" in after  # key 4 (typed in the browser) switched to Results
    assert first[:8] == b"\x89PNG\r\n\x1a\n" and len(first) > 5000 and first != second


def test_serve_refuses_a_public_bind_without_the_flag(settings) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "thtui", "serve", "--host", "0.0.0.0", "--port", str(free_port())],
        capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert out.returncode == 2
    assert "--allow-remote" in out.stderr and "Traceback" not in out.stderr
