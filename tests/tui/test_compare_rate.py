"""Results screen, issue 7's keys: rate a job with the rating form (keys 1-5 per criterion + a note), see
the means per solution, make the side-by-side video and export the HTML and Markdown report."""

from __future__ import annotations

from html.parser import HTMLParser

from test_results import jobs_table, run_and_wait, spec
from textual.widgets import Input
from tuilab import TuiLab, screen_text, wait_for

from thtui.core.media import probe
from thtui.core.ratings import ratings_for_jobs
from thtui.tui.screens.rating import RatingScreen
from thtui.tui.screens.results import ResultsScreen


def idle(app, group: str) -> bool:
    return not any(w.group == group and not w.is_finished for w in app.workers)


async def test_rate_compare_and_export_from_results(lab: TuiLab) -> None:
    lab.install("standin")
    app = lab.app()
    async with app.run_test(size=(120, 40)) as pilot:
        run_id = await run_and_wait(pilot, app, spec("static", "standin"))
        await pilot.press("4")
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen), 5)
        await wait_for(pilot, lambda: jobs_table(app).row_count == 2, 30, "two jobs listed")
        assert "no ratings yet" in screen_text(app)

        # Rate the static job: 4 on lip-sync, 2 on head motion (the cursor moves on after each score),
        # skip artifacts, 5 on identity, and a note.
        table = jobs_table(app)
        table.focus()
        table.move_cursor(row=next(i for i in range(table.row_count) if table.get_row_at(i)[0] == "static"))
        job_id = app.screen.selected_job_id
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, RatingScreen), 5)
        await pilot.press("4", "2", "down", "5")
        assert app.screen.scores == {"lip_sync": 4, "head_motion": 2, "identity": 5}
        assert "● ● ● ● ○" in screen_text(app)
        await pilot.press("tab")
        assert isinstance(app.focused, Input)
        await pilot.press(*"frozen head", "escape")  # esc leaves the note, a second one would cancel
        assert app.focused is None and isinstance(app.screen, RatingScreen)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen), 10, "form closed")
        (saved,) = ratings_for_jobs(lab.settings, [job_id])
        assert saved.scores == {"lip_sync": 4, "head_motion": 2, "identity": 5}
        assert saved.note == "frozen head"
        await wait_for(
            pilot,
            lambda: "static: lip-sync 4.0, head motion 2.0, identity 5.0 (1 rater)" in screen_text(app),
            10,
            "the mean shown",
        )

        # Opening the form again shows the saved rating; escape keeps it unchanged.
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, RatingScreen) and app.screen.scores, 5)
        assert app.screen.query_one("#note", Input).value == "frozen head"
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen), 5)

        # Side-by-side video of the run: source portrait + both solutions, with the speech as audio.
        await pilot.press("v")
        out = lab.settings.outputs_dir / run_id / "compare.mp4"
        await wait_for(pilot, lambda: out.exists() and idle(app, "compare"), 120, "compare.mp4 written")
        info = probe(out)
        assert info.video is not None and info.audio is not None
        assert info.video.width > info.video.height  # three tiles side by side

        # Report: self-contained HTML and Markdown beside the run's outputs.
        await pilot.press("e")
        html = lab.settings.outputs_dir / run_id / "report.html"
        md = lab.settings.outputs_dir / run_id / "report.md"
        await wait_for(pilot, lambda: html.exists() and md.exists() and idle(app, "export"), 120, "report")
        parser = HTMLParser()
        parser.feed(html.read_text())
        text = html.read_text()
        assert "static" in text and "standin" in text and "frozen head" in text
        assert "| static" in md.read_text() or "static" in md.read_text()


async def test_rating_needs_a_finished_job_and_a_score(lab: TuiLab, monkeypatch) -> None:
    lab.install("standin")
    monkeypatch.setenv("STANDIN_MODE", "crash")
    app = lab.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await run_and_wait(pilot, app, spec("standin"))
        await pilot.press("4")
        await wait_for(pilot, lambda: jobs_table(app).row_count == 1, 30, "the failed job listed")
        jobs_table(app).focus()
        await pilot.press("t")
        await pilot.pause(0.2)
        assert isinstance(app.screen, ResultsScreen)  # a failed job has no video to rate
        assert any("finished (ok) job" in str(n.message) for n in app._notifications)
