"""Reports in every format from a run in the store: HTML (parsed; every link resolves; thumbnails are
data: URIs), Markdown (tables, footnotes, thumbnail files), CSV and JSON (schema), fingerprint origin."""

from __future__ import annotations

import base64
import csv
import io
import json
from pathlib import Path
from urllib.parse import urlparse

import pytest
from PIL import Image
from report_factory import check_links

from thtui.cli import main
from thtui.core.config import Settings
from thtui.core.ratings import rate
from thtui.core.report import CSV_COLUMNS, JSON_SCHEMA, build_report, compose_grid, render, write_report
from thtui.core.report.model import FP_CAPTURED, FP_RECORDED


def rate_run(settings: Settings, run_id: str) -> None:
    rate(
        settings,
        f"{run_id}/alpha",
        "ana",
        {"lip_sync": 4, "head_motion": 3, "artifacts": 5, "identity": 4},
        "ok",
    )
    rate(settings, f"{run_id}/alpha", "bo", {"lip_sync": 5, "head_motion": 3, "artifacts": 4, "identity": 4})


def test_html_report_beside_outputs(settings: Settings, two_solution_run: str) -> None:
    run_id = two_solution_run
    rate_run(settings, run_id)
    compose_grid(settings, run_id, None, settings.outputs_dir / run_id / "compare.mp4", tile_h=64)
    report = build_report(settings, run_id, thumbs_per_job=3)
    dest = settings.outputs_dir / run_id / "report.html"
    write_report(report, "html", dest)
    html = dest.read_text()
    p = check_links(html, dest.parent)

    videos = [h for h in p.hrefs if h.endswith(".mp4")]
    assert "alpha/result.mp4" in videos and "beta/result.mp4" in videos and "compare.mp4" in videos
    assert not any(h.startswith("file:") for h in p.hrefs), (
        "relative links when the report sits beside outputs"
    )
    assert "gamma/log.txt" in p.hrefs

    # thumbnails: 3 per successful job, inline JPEGs
    assert len(p.imgs) == 6
    for src in p.imgs:
        assert src.startswith("data:image/jpeg;base64,")
        img = Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1])))
        assert img.format == "JPEG" and img.height == 120

    text = " ".join(p.text)
    for needle in ("alpha", "beta", "gamma", "face_not_detected", "Time (s)", "RTF", "Peak VRAM (GiB)",
                   "Energy (Wh)", "Lip-sync", "How each number was measured", "Environment", "pip freeze"):  # fmt: skip
        assert needle in text, needle
    assert "4.5" in text, "mean lip-sync of alpha over two raters"
    assert "Peak VRAM attribution — process" in text
    assert "3.00" in text and "0.100" in text  # 3072 MiB -> 3.00 GiB; 360 J -> 0.100 Wh
    assert report.fingerprint_origin == FP_CAPTURED and "captured when this report was made" in text


def test_html_report_elsewhere_uses_file_uris(
    settings: Settings, two_solution_run: str, tmp_path: Path
) -> None:
    report = build_report(settings, two_solution_run, thumbs_per_job=0)
    dest = tmp_path / "shared" / "r.html"
    write_report(report, "html", dest)
    p = check_links(dest.read_text(), dest.parent)
    assert all(h.startswith(("file:///", "#")) for h in p.hrefs)
    assert p.imgs == []


def test_markdown_report(settings: Settings, two_solution_run: str) -> None:
    rate_run(settings, two_solution_run)
    report = build_report(settings, two_solution_run, thumbs_per_job=2)
    dest = settings.outputs_dir / "reports" / "run.md"
    written = write_report(report, "md", dest)
    md = dest.read_text()
    assert len(written) == 3  # report + one thumbnail strip per successful job
    assert (dest.parent / "run_thumbs" / "alpha.jpg").is_file()
    assert "[![alpha](run_thumbs/alpha.jpg)]" in md
    assert f"[result.mp4](../{two_solution_run}/alpha/result.mp4)" in md
    header = next(line for line in md.splitlines() if line.startswith("| Solution | Status"))
    assert "Time (s)[^wall_s]" in header and "Lip-sync[^ratings]" in header
    sep = md.splitlines()[md.splitlines().index(header) + 1]
    assert sep.count("|") == header.count("|"), "GitHub needs the separator row to match the header"
    for note in ("[^status]:", "[^wall_s]:", "[^rtf]:", "[^peak_vram_gb]:", "[^energy_wh]:", "[^ratings]:"):
        assert note in md
    assert "| **alpha** | ✅ ok | 4.0 | 2.00 | 3.00 | 0.100 |" in md
    assert "❌ face_not_detected" in md and "Face not detected" in md
    assert "<details><summary>" in md


def test_csv_and_json_schema(settings: Settings, two_solution_run: str) -> None:
    rate_run(settings, two_solution_run)
    report = build_report(settings, two_solution_run, thumbs_per_job=0)
    rows = list(csv.DictReader(io.StringIO(render(report, "csv"))))
    assert list(rows[0]) == list(CSV_COLUMNS)
    by = {r["solution"]: r for r in rows}
    assert set(by) == {"alpha", "beta", "gamma"}
    assert by["alpha"]["success"] == "true" and by["gamma"]["success"] == "false"
    assert float(by["alpha"]["wall_s"]) == 4.0 and float(by["alpha"]["rtf"]) == 2.0
    assert float(by["alpha"]["peak_vram_gb"]) == 3.0 and float(by["beta"]["energy_wh"]) == pytest.approx(0.1)
    assert float(by["alpha"]["rating_lip_sync"]) == 4.5 and by["beta"]["rating_lip_sync"] == ""
    assert by["gamma"]["peak_vram_gb"] == "" and "Face not detected" in by["gamma"]["error"]
    assert by["alpha"]["video"].startswith("file:///") and by["gamma"]["video"] == ""

    data = json.loads(render(report, "json"))
    assert data["schema"] == JSON_SCHEMA
    assert {"run", "generated_at", "thtui_version", "metrics", "criteria", "jobs", "ratings", "fingerprint",
            "fingerprint_origin", "notes"} <= set(data)  # fmt: skip
    assert all(m["how"] for m in data["metrics"]), "every metric says how it was measured"
    assert [c["key"] for c in data["criteria"]] == ["lip_sync", "head_motion", "artifacts", "identity"]
    alpha = next(j for j in data["jobs"] if j["solution"] == "alpha")
    assert alpha["metrics"]["peak_vram_gb"] == 3.0 and alpha["raw_metrics"]["vram_attribution"] == "process"
    assert alpha["ratings"]["means"]["lip_sync"] == 4.5 and alpha["ratings"]["counts"]["lip_sync"] == 2
    assert Path(urlparse(alpha["video"]).path).is_file()
    assert data["fingerprint"]["thtui"]["version"] and data["fingerprint_origin"] == FP_CAPTURED


def test_recorded_fingerprint_is_used(settings: Settings, two_solution_run: str) -> None:
    run_json = settings.outputs_dir / two_solution_run / "run.json"
    data = json.loads(run_json.read_text())
    data["fingerprint"] = {
        "schema": 1,
        "digest": "abc",
        "gpu": {"driver": "999.1", "gpus": []},
        "solutions": {},
    }
    run_json.write_text(json.dumps(data))
    report = build_report(settings, two_solution_run, thumbs_per_job=0)
    assert report.fingerprint_origin == FP_RECORDED and report.fingerprint["gpu"]["driver"] == "999.1"
    assert not any("fingerprint" in n for n in report.notes)
    assert "999.1" in render(report, "html")


def test_report_cli(settings: Settings, two_solution_run: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", two_solution_run, "--thumbs", "1"]) == 0  # md to stdout by default
    assert "# Talking-head comparison" in capsys.readouterr().out
    assert main(["report", "latest", "--format", "html", "--thumbs", "1"]) == 0
    assert (settings.outputs_dir / two_solution_run / "report.html").is_file()
    capsys.readouterr()
    out = settings.outputs_dir / "x.csv"
    assert main(["report", two_solution_run, "-o", str(out), "--thumbs", "0"]) == 0  # format from extension
    assert out.read_text().startswith("run_id,job_id,solution")
    assert main(["report", "nope"]) == 2
    assert "no run 'nope'" in capsys.readouterr().err


def test_report_refuses_an_output_extension_it_cannot_write(
    settings: Settings, two_solution_run: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`report latest -o r.pdf` used to write markdown into a .pdf and exit 0."""
    pdf = settings.outputs_dir / "r.pdf"
    assert main(["report", "latest", "-o", str(pdf), "--thumbs", "0"]) == 2
    assert (
        capsys.readouterr().err == "thtui: cannot tell the format from .pdf; use --format md|html|csv|json\n"
    )
    assert not pdf.exists()
    bare = settings.outputs_dir / "report"
    assert main(["report", "latest", "-o", str(bare), "--thumbs", "0"]) == 2
    assert "cannot tell the format from report (no extension); use --format md|html|csv|json" in (
        capsys.readouterr().err
    )
    assert main(["report", "--diff", "latest", "latest", "-o", str(pdf)]) == 2
    assert capsys.readouterr().err == "thtui: cannot tell the format from .pdf; use --format md|json\n"
    # Said explicitly, any name is fine; and the known spellings still pick their format.
    assert main(["report", "latest", "-o", str(pdf), "--format", "md", "--thumbs", "0"]) == 0
    assert pdf.read_text().startswith("# Talking-head comparison")
    for name in ("r.MD", "r.markdown", "r.htm", "r.JSON"):
        assert main(["report", "latest", "-o", str(settings.outputs_dir / name), "--thumbs", "0"]) == 0
    assert json.loads((settings.outputs_dir / "r.JSON").read_text())["run"]["run_id"] == two_solution_run
