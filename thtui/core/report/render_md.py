"""GitHub-flavoured Markdown: pipe tables, footnotes for "how measured", <details> for package lists.

GitHub does not show data: URIs, so thumbnails appear only when the caller wrote them as files and passes
their links (`write_report` does: one strip JPEG per job next to the report)."""

from __future__ import annotations

from pathlib import Path

from thtui.core.ratings import CRITERIA
from thtui.core.report.envinfo import host_env, machine_rows, solution_rows
from thtui.core.report.metrics import HEADER_ONLY, METRICS, SUCCESS_HOW, audio_seconds, fmt_value
from thtui.core.report.model import Report, link
from thtui.core.report.paper_table import markdown as paper_markdown
from thtui.core.report.scores_section import markdown as scores_markdown
from thtui.core.wording import plural


def _cell(v: object) -> str:
    """Table-safe text: pipes escaped, newlines folded."""
    return str(v).replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def render_md(
    report: Report,
    dest: Path | None = None,
    outputs_dir: Path | None = None,
    thumb_links: dict[str, str] | None = None,
) -> str:
    """The report as Markdown. `thumb_links`: job_id -> link of its thumbnail strip image."""
    run = report.run
    outputs = outputs_dir or run.dir.parent
    thumb_links = thumb_links or {}
    out: list[str] = [f"# Talking-head comparison: run `{run.run_id}`", ""]
    out.append(
        f"{plural(len(report.rows), 'job')} · started {run.created_at or '—'} · report made {report.generated_at} "
        f"by thtui {report.thtui_version}"
    )
    out.append("")
    for k, v in run.inputs.items():
        if v not in (None, ""):
            out.append(f"- **{k}**: `{_cell(v)}`")
    audio_s = audio_seconds([r.values for r in report.rows])
    if audio_s:
        out.append(f"- **audio length**[^audio_s]: {audio_s}")
    if out[-1] != "":
        out.append("")
    for n in report.notes:
        out += [f"> **Note:** {n}", ""]
    if report.compare_video:
        out += [f"Side-by-side video: [compare.mp4]({link(report.compare_video, dest, outputs)})", ""]

    shown = [m for m in METRICS if any(r.values.get(m.key) is not None for r in report.rows)]
    out += ["## Results", ""]
    columns = [m for m in shown if m.key not in HEADER_ONLY]
    head = ["Solution", "Status[^status]"] + [f"{m.label} ({m.unit})[^{m.key}]" for m in columns]
    head += [f"{c.label}[^ratings]" for c in CRITERIA] + ["Video"]
    out.append(_row(head))
    out.append(_row(["---", "---"] + ["---:"] * (len(columns) + len(CRITERIA)) + ["---"]))
    for r in report.rows:
        j = r.job
        status = "✅ ok" if j.ok else f"⏳ {j.status}" if j.unfinished else f"❌ {j.failure or j.status}"
        cells = [f"**{_cell(j.label)}**", _cell(status)] + [
            fmt_value(m.key, r.values.get(m.key)) for m in columns
        ]
        sr = report.ratings.get(j.solution)
        for c in CRITERIA:
            mean = sr.means.get(c.key) if sr else None
            cells.append(f"{mean:.1f} (n={sr.counts[c.key]})" if sr and mean is not None else "—")
        cells.append(f"[result.mp4]({link(j.video, dest, outputs)})" if j.video else "—")
        out.append(_row(cells))
    out.append("")

    if report.repeat_stats:
        keys = [m for m in METRICS if any(m.key in st for st in report.repeat_stats.values())]
        out += ["Over repeats: mean ± σ (min…max, n successful runs)", ""]
        out.append(_row(["Solution"] + [f"{m.label} ({m.unit})" for m in keys]))
        out.append(_row(["---"] + ["---:"] * len(keys)))
        for sol, st in report.repeat_stats.items():
            cells = [f"**{_cell(sol)}**"]
            for m in keys:
                s = st.get(m.key)
                cells.append(
                    f"{fmt_value(m.key, s.mean)} ± {fmt_value(m.key, s.stdev)} "
                    f"({fmt_value(m.key, s.min)}…{fmt_value(m.key, s.max)}, n={s.n})"
                    if s
                    else "—"
                )
            out.append(_row(cells))
        out.append("")

    out += ["## Jobs", ""]
    for r in report.rows:
        j = r.job
        out.append(f"### {j.label}")
        out.append("")
        if j.job_id in thumb_links:
            target = link(j.video, dest, outputs) if j.video else thumb_links[j.job_id]
            out += [f"[![{j.label}]({thumb_links[j.job_id]})]({target})", ""]
        links = []
        if j.video:
            links.append(f"[video]({link(j.video, dest, outputs)})")
        if j.log:
            links.append(f"[log]({link(j.log, dest, outputs)})")
        out.append(f"Status: **{j.status}**" + (f" · {' · '.join(links)}" if links else ""))
        if j.error and not j.ok:
            out += ["", "```text", str(j.error), "```"]
        sr = report.ratings.get(j.solution)
        for who, text in sr.notes if sr else ():
            out += ["", f"> {_cell(text)} — *{who}*"]
        out.append("")

    fp = report.fingerprint
    out += ["## Environment", "", f"Fingerprint {report.fingerprint_origin}.", ""]
    if fp:
        out += [_row(["", ""]), _row(["---", "---"])]
        out += [_row([f"**{k}**", _cell(v)]) for k, v in machine_rows(fp)]
        out += ["", "| Solution | Python | torch | CUDA build | Upstream commit | Patches | Manifest |"]
        out.append("| --- | --- | --- | --- | --- | --- | --- |")
        envs = solution_rows(fp)
        for s in envs:
            # Ids only: with a dozen systems, the reasons made this table unreadable (they follow it, below).
            patches = ", ".join(f"`{p.split(':', 1)[0]}`" for p in s.patches) or "none"
            commit = _cell(s.upstream) + (f"<br>*{_cell(s.commit_note)}*" if s.commit_note else "")
            out.append(
                _row(
                    [
                        f"**{s.solution}**",
                        s.python,
                        s.torch,
                        s.torch_cuda,
                        commit,
                        patches,
                        f"`{s.manifest}`" + (f"<br>⚠ {_cell(s.error)}" if s.error else ""),
                    ]  # fmt: skip
                )
            )
        out.append("")
        why = [(s.solution, *p.split(": ", 1)) for s in envs for p in s.patches]
        if why:
            out += ["**Patches** (thtui's edits of an upstream clone or env, and why):", ""]
            out += [f"- **{n}** `{i}`: {_cell(r[0]) if r else ''}" for n, i, *r in why]
            out.append("")
        host = host_env(fp)
        for s in [*envs, *([host] if host and any(not e.packages for e in envs) else [])]:
            if s.packages:
                out += [
                    f"<details><summary>{s.solution}: {plural(len(s.packages), 'package')} (pip freeze)</summary>",
                    "",
                ]
                out += ["```text", *(f"{k}=={v}" for k, v in s.packages.items()), "```", "", "</details>", ""]

    out += paper_markdown(report)  # a --reference run: systems x paper metrics beside published ranges
    out += scores_markdown(report)
    out += ["## How each number was measured", ""]
    if report.method_notes:
        out += ["In this run:", "", *(f"- {n}" for n in report.method_notes), ""]
    out.append(f"[^status]: {SUCCESS_HOW}")
    for m in shown:
        out.append(f"[^{m.key}]: {m.how}")
    crit = "; ".join(f"{c.label}: {c.help}" for c in CRITERIA)
    out.append(
        "[^ratings]: Manual scores 1–5 (higher is better) from `thtui rate` or the Results screen; "
        f"mean over raters, n = number of ratings. {crit}."
    )
    out.append("")
    return "\n".join(out)
