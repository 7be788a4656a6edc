"""Carriage-return progress bars fold into one updating line; progress is parsed from tqdm lines."""

from __future__ import annotations

import pytest

from thtui.core.jobs.logfold import LineFolder, LineUpdate, progress_fraction


def feed_all(chunks: list[bytes]) -> list[LineUpdate]:
    f = LineFolder()
    out: list[LineUpdate] = []
    for c in chunks:
        out += f.feed_bytes(c)
    return out + f.flush()


def finals(updates: list[LineUpdate]) -> list[str]:
    return [u.line for u in updates if u.final]


def test_plain_lines_pass_through() -> None:
    ups = feed_all([b"one\ntw", b"o\r\nthree"])
    assert [(u.line, u.replace_last, u.final) for u in ups] == [
        ("one", False, True), ("two", False, True), ("three", False, True),
    ]  # fmt: skip


def test_tqdm_bar_is_one_line_redrawn() -> None:
    bar = b"\r  0%|     | 0/4\r 25%|#    | 1/4\r 50%|##   | 2/4\r100%|#####| 4/4\n"
    ups = feed_all([b"loading\n", bar, b"done\n"])
    assert finals(ups) == ["loading", "100%|#####| 4/4", "done"]  # what log.txt keeps
    bar_ups = [u for u in ups if "%|" in u.line]
    assert [u.replace_last for u in bar_ups] == [False, True, True, True]
    assert bar_ups[-1].final and not any(u.final for u in bar_ups[:-1])


def test_bar_split_anywhere_and_closed_by_a_lone_newline() -> None:
    data = b"\r 10%|x| 1/10\r 20%|xx| 2/10\r"  # tqdm.close() may end with "\r" then "\n"
    for cut in range(len(data)):
        ups = feed_all([data[:cut], data[cut:], b"\nnext\n"])
        assert finals(ups) == [" 20%|xx| 2/10", "next"], cut


def test_utf8_split_across_chunks_and_ansi_stripped() -> None:
    text = "größe █ \x1b[32mgreen\x1b[0m\x1b[A\n".encode()
    ups = feed_all([text[:3], text[3:8], text[8:]])
    assert finals(ups) == ["größe █ green"]


def test_unterminated_last_line_is_flushed() -> None:
    assert finals(feed_all([b"no newline at the end"])) == ["no newline at the end"]
    assert finals(feed_all([b"\r 50%|##| 1/2"])) == [" 50%|##| 1/2"]


@pytest.mark.parametrize(
    ("line", "fraction"),
    [
        (" 42%|####      | 21/50 [00:01<00:02, 20.1it/s]", 0.42),
        ("Face Renderer:: 100%|##########| 10/10 [00:03<00:00]", 1.0),
        ("frames 5/20 [00:01<00:03]", 0.25),
        ("loading checkpoint 3/4", None),  # no tqdm bracket: not a progress bar
        ("accuracy 99% on test", None),
    ],
)
def test_progress_fraction(line: str, fraction: float | None) -> None:
    assert progress_fraction(line) == (pytest.approx(fraction) if fraction is not None else None)
