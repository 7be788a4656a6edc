"""`report --diff` on runs the engine really made: the inputs come from run.json (spec, audio lengths)."""

from __future__ import annotations

from media_factory import make_tone
from runlab import Lab

from thtui.core.report import diff_runs, render_diff


def test_diff_of_real_runs_names_the_differing_inputs(lab: Lab) -> None:
    long, _ = lab.run(lab.spec("static"))
    same, _ = lab.run(lab.spec("static"))
    short_audio = make_tone(lab.tmp / "in" / "short.wav", 0.5)
    short, _ = lab.run(lab.spec("static", audios=(short_audio,), repeat=2))
    assert long.status == same.status == short.status == "done"

    d = diff_runs(lab.settings, long.run_id, same.run_id)
    assert not d.inputs_differ, d.inputs
    assert {r.item for r in d.inputs} >= {
        "images",
        "audio files",
        "audio length",
        "repeat",
        "warm-up",
        "pack",
    }

    d = diff_runs(lab.settings, long.run_id, short.run_id)
    changed = {r.item: (r.a, r.b) for r in d.inputs if r.differs}
    assert changed["audio length"] == ("1.00 s", "0.50 s") and changed["repeat"] == ("1", "2")
    assert "audio files" in changed and "images" not in changed
    assert render_diff(d).splitlines()[2].startswith("> **Warning: inputs differ")
    wall = next(m for m in d.metrics if m.key == "wall_s")
    assert not wall.comparable and wall.delta is None


def test_diff_of_text_runs_shows_the_voice_piper_used(lab: Lab) -> None:
    """No --voice given: the voice shown is the one the TTS stage used (its default), for both runs."""
    a, _ = lab.run(lab.spec("static", audios=(), text="Hello there."))
    b, _ = lab.run(lab.spec("static", audios=(), text="Good morning."))
    d = diff_runs(lab.settings, a.run_id, b.run_id)
    rows = {r.item: (r.a, r.b, r.differs) for r in d.inputs}
    assert rows["voice"] == ("en_US-joe-medium", "en_US-joe-medium", False), rows
    assert rows["text"][2] and d.inputs_differ
