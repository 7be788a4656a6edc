"""A report over the whole catalog (15 systems and counting) stays readable: one Results row per system with
every column, failures named once at the top, and a job section per system, in md and html."""

from __future__ import annotations

import re

from report_factory import JobSpec, make_run

from thtui.core.catalog import Catalog
from thtui.core.config import Settings
from thtui.core.report import build_report, write_report


def test_report_over_every_system(settings: Settings, catalog: Catalog) -> None:
    names = catalog.names()
    assert len(names) >= 15
    failed = names[3::5]
    jobs = [JobSpec(n, None if n in failed else 0.5, wall_s=1.0 + i) for i, n in enumerate(names)]
    run_id = "20260101-120000-cafe"
    make_run(settings, run_id, jobs, audio_s=0.5, size=(32, 32))
    report = build_report(settings, run_id)
    out = settings.outputs_dir / run_id
    write_report(report, "md", out / "report.md")
    write_report(report, "html", out / "report.html")

    md = (out / "report.md").read_text(encoding="utf-8")
    results = md.split("## Results", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in results.splitlines() if line.startswith("| **")]
    assert [re.match(r"\| \*\*(\w+)\*\*", r).group(1) for r in rows] == names  # type: ignore[union-attr]
    header = next(line for line in results.splitlines() if line.startswith("| Solution"))
    assert {r.count(" | ") for r in rows} == {header.count(" | ")}, "every row has every column"
    assert f"{len(failed)} of {len(names)} jobs did not succeed: {', '.join(failed)}" in md
    assert all(f"\n### {n}\n" in md for n in names)

    html = (out / "report.html").read_text(encoding="utf-8")
    first_table = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert first_table.count("<tr>") == len(names)
    assert all(f"<b>{n}</b>" in first_table for n in names)

    # Environment: patch ids in the table, the reasons below it (md) or one click away (html), and the table
    # scrolls inside the page instead of widening it.
    patch = catalog.get("sadtalker").solution.patches[0]
    env_row = next(line for line in md.splitlines() if line.startswith("| **sadtalker** |") and "`" in line)
    assert f"`{patch.id}`" in env_row and patch.reason[:20] not in env_row
    assert f"- **sadtalker** `{patch.id}`: {patch.reason[:20]}" in md
    n = len(catalog.get("sadtalker").solution.patches)
    assert f"<details><summary>{n} patches</summary>" in html
    assert "<div class=wide><table><thead><tr><th>Solution</th><th>Python</th>" in html
