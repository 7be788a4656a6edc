"""One self-contained HTML file: inline CSS, thumbnails as data: URIs, no scripts, no network."""

from __future__ import annotations

import base64
from html import escape
from pathlib import Path

from thtui.core.ratings import CRITERIA
from thtui.core.report.envinfo import host_env, machine_rows, solution_rows
from thtui.core.report.metrics import HEADER_ONLY, METRICS, SUCCESS_HOW, audio_seconds, fmt_value
from thtui.core.report.model import Report, link
from thtui.core.report.paper_table import html_section as paper_html
from thtui.core.report.scores_section import html_section as scores_html
from thtui.core.wording import plural

_CSS = """
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#fff;--soft:#f6f8fa;--ok:#1a7f37;--bad:#cf222e;--acc:#0969da}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
 color:var(--fg);background:var(--bg)}
main{max-width:1220px;margin:0 auto;padding:20px 28px 48px}
h1{font-size:22px;margin:0 0 2px}h2{font-size:17px;margin:28px 0 10px;padding-bottom:4px;border-bottom:1px solid var(--line)}
h3{font-size:15px;margin:0}
.sub{color:var(--muted);margin:0 0 12px}.sub code{font-size:12px}
a{color:var(--acc);text-decoration:none}a:hover{text-decoration:underline}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{padding:6px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{background:var(--soft);font-weight:600}
.wide{overflow-x:auto}
td.n,th.n{text-align:right}
tbody tr:nth-child(even) td{background:#fbfcfd}
sup{font-size:10px;color:var(--muted)}sup a{color:inherit}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600}
.ok{background:#dafbe1;color:var(--ok)}.bad{background:#ffebe9;color:var(--bad)}
.best{font-weight:700}
.note{background:#fff8c5;border:1px solid #d4a72c66;border-radius:6px;padding:6px 10px;margin:6px 0}
.jobs{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:12px}
.job{border:1px solid var(--line);border-radius:8px;padding:10px 12px}
.job header{display:flex;gap:10px;align-items:center;margin-bottom:8px}
.job header .links{margin-left:auto;font-size:13px}
.strip{display:flex;gap:4px;overflow:hidden}.strip img{height:96px;border-radius:4px;display:block}
.err{color:var(--bad);font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px;white-space:pre-wrap}
.muted{color:var(--muted)}
ol.legend{padding-left:20px;color:var(--muted)}ol.legend b{color:var(--fg)}
details{margin:6px 0}summary{cursor:pointer;color:var(--acc)}
pre{background:var(--soft);padding:8px 10px;border-radius:6px;font-size:12px;max-height:320px;overflow:auto}
dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:3px 16px;margin:0}dl.kv dt{color:var(--muted)}dl.kv dd{margin:0}
"""


def _e(v: object) -> str:
    return escape(str(v), quote=True)


def _data_uri(jpeg: bytes) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")


def _best(report: Report, key: str, better: str | None) -> float | None:
    vals = [r.values.get(key) for r in report.rows if r.job.ok and r.values.get(key) is not None]
    if not better or len(vals) < 2:
        return None
    return min(vals) if better == "lower" else max(vals)  # type: ignore[type-var]


def _metrics_table(report: Report, dest: Path | None, outputs: Path) -> tuple[str, str]:
    shown = [m for m in METRICS if any(r.values.get(m.key) is not None for r in report.rows)]
    foot = {m.key: i + 2 for i, m in enumerate(shown)}  # 1 is success
    rate_no = len(shown) + 2
    head = ["<th>Solution</th>", '<th>Status<sup><a href="#m1">1</a></sup></th>']
    columns = [m for m in shown if m.key not in HEADER_ONLY]
    head += [
        f'<th class="n">{_e(m.label)} ({_e(m.unit)})<sup><a href="#m{foot[m.key]}">{foot[m.key]}</a></sup></th>'
        for m in columns
    ]
    head += [
        f'<th class="n">{_e(c.label)}<sup><a href="#m{rate_no}">{rate_no}</a></sup></th>' for c in CRITERIA
    ]
    head += ['<th class="n">Raters</th>', "<th>Video</th>"]
    best = {m.key: _best(report, m.key, m.better) for m in shown}
    body = []
    for r in report.rows:
        j = r.job
        status = (
            '<span class="badge ok">ok</span>'
            if j.ok
            else f'<span class="badge">{_e(j.status)}</span>'
            if j.unfinished
            else f'<span class="badge bad">{_e(j.failure or j.status)}</span>'
        )
        cells = [f"<td><b>{_e(j.label)}</b></td>", f"<td>{status}</td>"]
        for m in columns:
            v = r.values.get(m.key)
            cls = "n best" if v is not None and best[m.key] is not None and v == best[m.key] else "n"
            cells.append(f'<td class="{cls}">{_e(fmt_value(m.key, v))}</td>')
        sr = report.ratings.get(j.solution)
        for c in CRITERIA:
            mean = sr.means.get(c.key) if sr else None
            n = sr.counts.get(c.key, 0) if sr else 0
            title = f' title="{n} rating{"s" if n != 1 else ""}"' if n else ""
            cells.append(f'<td class="n"{title}>{f"{mean:.1f}" if mean is not None else "—"}</td>')
        cells.append(f'<td class="n">{len(sr.raters) if sr and sr.raters else "—"}</td>')
        video = (
            f'<a href="{_e(link(j.video, dest, outputs))}">result.mp4</a>'
            if j.video
            else '<span class="muted">—</span>'
        )
        cells.append(f"<td>{video}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    table = f"<div class=wide><table><thead><tr>{''.join(head)}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    legend = [f'<li id="m1"><b>Status.</b> {_e(SUCCESS_HOW)}</li>']
    legend += [
        f'<li id="m{foot[m.key]}"><b>{_e(m.label)} ({_e(m.unit)}).</b> {_e(m.how)}'
        f"{' Bold = best in this run.' if m.better else ''}</li>"
        for m in shown
    ]
    crit = "; ".join(f"{c.label}: {c.help}" for c in CRITERIA)
    legend.append(
        f'<li id="m{rate_no}"><b>Ratings (1–5, higher is better).</b> Manual scores entered with '
        f"<code>thtui rate</code> or the Results screen, mean over raters (hover a score for the number of ratings). {_e(crit)}.</li>"
    )
    measured = "".join(f"<li>{_e(n)}</li>" for n in report.method_notes)
    measured = f'<p class="muted">In this run:</p><ul class="muted">{measured}</ul>' if measured else ""
    return (
        table,
        f'<h2 id="legend">How each number was measured</h2><ol class="legend">{"".join(legend)}</ol>{measured}',
    )


def _repeats(report: Report) -> str:
    if not report.repeat_stats:
        return ""
    keys = [m for m in METRICS if any(m.key in st for st in report.repeat_stats.values())]
    head = "".join(f'<th class="n">{_e(m.label)} ({_e(m.unit)})</th>' for m in keys)
    body = []
    for sol, st in report.repeat_stats.items():
        cells = []
        for m in keys:
            s = st.get(m.key)
            cells.append(
                f'<td class="n">{fmt_value(m.key, s.mean)} ± {fmt_value(m.key, s.stdev)}'
                f" <span class=muted>({fmt_value(m.key, s.min)}…{fmt_value(m.key, s.max)}, n={s.n})</span></td>"
                if s
                else '<td class="n">—</td>'
            )
        body.append(f"<tr><td><b>{_e(sol)}</b></td>{''.join(cells)}</tr>")
    return (
        '<h3 style="margin:14px 0 6px">Over repeats: mean ± σ (min…max, n successful runs)</h3>'
        f"<table><thead><tr><th>Solution</th>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def _jobs(report: Report, dest: Path | None, outputs: Path) -> str:
    cards = []
    for r in report.rows:
        j = r.job
        links = []
        if j.video:
            links.append(f'<a href="{_e(link(j.video, dest, outputs))}">video</a>')
        if j.log:
            links.append(f'<a href="{_e(link(j.log, dest, outputs))}">log</a>')
        strip = "".join(
            f'<img alt="{_e(j.label)} frame {i + 1}" src="{_data_uri(t)}">' for i, t in enumerate(r.thumbs)
        )
        if strip and j.video:
            strip = f'<a href="{_e(link(j.video, dest, outputs))}" class="strip">{strip}</a>'
        elif strip:
            strip = f'<div class="strip">{strip}</div>'
        else:
            strip = '<p class="muted">no video</p>'
        err = f'<div class="err">{_e(j.error)}</div>' if j.error and not j.ok else ""
        sr = report.ratings.get(j.solution)
        notes = "".join(
            f"<p class=muted>“{_e(text)}” — {_e(who)}</p>" for who, text in (sr.notes if sr else ())
        )
        badge = (
            '<span class="badge ok">ok</span>'
            if j.ok
            else f'<span class="badge">{_e(j.status)}</span>'
            if j.unfinished
            else f'<span class="badge bad">{_e(j.failure or j.status)}</span>'
        )
        cards.append(
            f'<article class="job" id="job-{_e(j.job_id)}"><header><h3>{_e(j.label)}</h3>{badge}'
            f'<span class="links">{" · ".join(links)}</span></header>{strip}{err}{notes}</article>'
        )
    return f'<div class="jobs">{"".join(cards)}</div>'


def _environment(report: Report) -> str:
    fp = report.fingerprint
    if not fp:
        return f'<h2 id="environment">Environment</h2><p class="note">Fingerprint {_e(report.fingerprint_origin)}</p>'
    kv = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in machine_rows(fp))
    envs = solution_rows(fp)
    rows = []
    for s in envs:
        # Reasons one click away: with a dozen systems, the reasons made each row screens tall.
        patches = (
            f"<details><summary>{plural(len(s.patches), 'patch')}</summary>"
            f"{'<br>'.join(_e(p) for p in s.patches)}</details>"
            if s.patches
            else '<span class="muted">none</span>'
        )
        err = f"<div class=err>{_e(s.error)}</div>" if s.error else ""
        rows.append(
            f"<tr><td><b>{_e(s.solution)}</b></td><td>{_e(s.python)}</td><td>{_e(s.torch)}</td>"
            f"<td>{_e(s.torch_cuda)}</td><td>{_e(s.upstream)}<br><span class=muted>{_e(s.commit_note)}</span></td>"
            f"<td>{patches}</td><td><code>{_e(s.manifest)}</code>{err}</td></tr>"
        )
    host = host_env(fp)
    details = []
    for s in [*envs, *([host] if host and any(not e.packages for e in envs) else [])]:
        if s.packages:
            freeze = "\n".join(
                f"{k}=={v}" if v and "://" not in v and " " not in v else f"{k} {v}"
                for k, v in s.packages.items()
            )
            details.append(
                f"<details><summary>{_e(s.solution)}: {plural(len(s.packages), 'package')} (pip freeze)</summary>"
                f"<pre>{_e(freeze)}</pre></details>"
            )
    table = (  # in a scroller: long paths must not widen the whole page
        "<div class=wide><table><thead><tr><th>Solution</th><th>Python</th><th>torch</th><th>CUDA build</th>"
        "<th>Upstream commit</th><th>Patches</th><th>Manifest</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )
    return (
        f'<h2 id="environment">Environment</h2><p class="sub">Fingerprint {_e(report.fingerprint_origin)}.</p>'
        f'<dl class="kv">{kv}</dl><h3 style="margin:14px 0 6px">Per solution</h3>{table}{"".join(details)}'
    )


def _input(key: str, value: object) -> str:
    """Paths show their file name; the full path is in the tooltip (and in the JSON report)."""
    text = str(value)
    if key in ("image", "audio") and "/" in text:
        names = ", ".join(Path(p.strip()).name for p in text.split(","))
        return f'{_e(key)}: <code title="{_e(text)}">{_e(names)}</code>'
    return f"{_e(key)}: <code>{_e(text)}</code>"


def render_html(report: Report, dest: Path | None = None, outputs_dir: Path | None = None) -> str:
    """The report as one HTML document. Links to videos and logs are relative when `dest` sits beside
    the outputs (in or below `outputs_dir`), file: URIs otherwise."""
    run = report.run
    outputs = outputs_dir or run.dir.parent
    inputs = " · ".join(_input(k, v) for k, v in run.inputs.items() if v not in (None, ""))
    audio_s = audio_seconds([r.values for r in report.rows])
    if audio_s:
        inputs += f" · audio length: {_e(audio_s)}"
    notes = "".join(f'<div class="note">{_e(n)}</div>' for n in report.notes)
    compare = (
        f'<p>Side-by-side video: <a href="{_e(link(report.compare_video, dest, outputs))}">compare.mp4</a></p>'
        if report.compare_video
        else ""
    )
    table, legend = _metrics_table(report, dest, outputs)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>thtui report · {_e(run.run_id)}</title><style>{_CSS}</style></head><body><main>"
        f"<h1>Talking-head comparison · run {_e(run.run_id)}</h1>"
        f'<p class="sub">{plural(len(report.rows), "job")} · started {_e(run.created_at or "—")} · report made {_e(report.generated_at)} '
        f"by thtui {_e(report.thtui_version)}{'<br>' + inputs if inputs else ''}</p>"
        f'{notes}{compare}<h2 id="results">Results</h2>{table}{_repeats(report)}{paper_html(report)}{scores_html(report)}'
        f'<h2 id="jobs">Jobs</h2>{_jobs(report, dest, outputs)}{legend}{_environment(report)}'
        "</main></body></html>\n"
    )
