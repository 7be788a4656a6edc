"""What changed between two runs: environment (packages, commits, GPU/driver, manifests, patches) and
metrics (per solution, A -> B). `thtui report --diff RUN_A RUN_B`.

A run without a recorded fingerprint gets one captured at diff time; the diff says so, because then
"no change" only means "no change since", not "the run used the same environment".
"""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass, field
from typing import Any

from thtui.core.catalog import Catalog, ManifestError
from thtui.core.config import Settings
from thtui.core.ratings import CRITERIA, ratings_for_jobs, summarise
from thtui.core.report import scores_section
from thtui.core.report.diff_inputs import LENGTH_BOUND, input_rows
from thtui.core.report.fingerprint import capture_fingerprint
from thtui.core.report.metrics import METRIC_BY_KEY, METRICS, fmt_value, normalise
from thtui.core.report.source import RunView, load_run

_MISSING = None


@dataclass(frozen=True)
class Change:
    section: str  # "machine", "thtui", "solution <name>", "packages <name>", "host packages"
    item: str
    before: Any
    after: Any


@dataclass(frozen=True)
class MetricDelta:
    solution: str
    key: str  # a METRICS key, "success_rate", or "rating_<criterion>"
    label: str
    a: float | None
    b: float | None
    comparable: bool = True  # False: a total (time, energy) of runs given different inputs

    @property
    def delta(self) -> float | None:
        if not self.comparable or self.a is None or self.b is None:
            return None
        return self.b - self.a

    @property
    def pct(self) -> float | None:
        return None if self.delta is None or not self.a else 100.0 * self.delta / abs(self.a)


@dataclass(frozen=True)
class InputRow:
    item: str  # "images", "audio length", "text", ...
    a: str
    b: str
    differs: bool


@dataclass
class RunDiff:
    run_a: str
    run_b: str
    changes: list[Change]
    metrics: list[MetricDelta]
    only_in_a: list[str]
    only_in_b: list[str]
    notes: list[str] = field(default_factory=list)
    inputs: list[InputRow] = field(default_factory=list)
    # solution -> automatic score -> mean over its scored jobs (thtui.core.report.scores_section)
    scores_a: dict[str, dict[str, float | None]] = field(default_factory=dict)
    scores_b: dict[str, dict[str, float | None]] = field(default_factory=dict)

    @property
    def same_environment(self) -> bool:
        return not self.changes

    @property
    def inputs_differ(self) -> bool:
        return any(r.differs for r in self.inputs)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["inputs_differ"] = self.inputs_differ
        for m, md in zip(d["metrics"], self.metrics, strict=True):
            m.update(delta=md.delta, pct=md.pct)
        return d


def _cmp(changes: list[Change], section: str, item: str, a: Any, b: Any) -> None:
    if a != b:
        changes.append(Change(section, item, a, b))


def _packages(changes: list[Change], section: str, a: dict[str, str], b: dict[str, str]) -> None:
    for name in sorted(set(a) | set(b)):
        _cmp(changes, section, name, a.get(name, _MISSING), b.get(name, _MISSING))


def diff_fingerprints(a: dict[str, Any], b: dict[str, Any]) -> list[Change]:
    """Every fact that differs, section by section; [] when the environments match."""
    ch: list[Change] = []
    ga, gb = a.get("gpu") or {}, b.get("gpu") or {}
    _cmp(
        ch,
        "machine",
        "GPU",
        [g.get("name") for g in ga.get("gpus") or []],
        [g.get("name") for g in gb.get("gpus") or []],
    )
    _cmp(ch, "machine", "NVIDIA driver", ga.get("driver"), gb.get("driver"))
    _cmp(ch, "machine", "CUDA (driver)", ga.get("cuda_driver"), gb.get("cuda_driver"))
    oa, ob = a.get("os") or {}, b.get("os") or {}
    for key in ("platform", "python", "libc"):
        _cmp(ch, "machine", f"os {key}", oa.get(key), ob.get(key))
    _cmp(
        ch,
        "machine",
        "ffmpeg",
        (a.get("ffmpeg") or {}).get("version"),
        (b.get("ffmpeg") or {}).get("version"),
    )
    ta, tb = a.get("thtui") or {}, b.get("thtui") or {}
    for key in ("version", "commit", "dirty"):
        _cmp(ch, "thtui", key, ta.get(key), tb.get(key))
    _packages(ch, "host packages", a.get("host_packages") or {}, b.get("host_packages") or {})

    sa, sb = a.get("solutions") or {}, b.get("solutions") or {}
    for name in sorted(set(sa) | set(sb)):
        x, y = sa.get(name), sb.get(name)
        sec = f"solution {name}"
        if x is None or y is None:
            _cmp(ch, sec, "recorded", x is not None, y is not None)
            continue
        _cmp(ch, sec, "manifest digest", x.get("manifest_digest"), y.get("manifest_digest"))
        _cmp(
            ch,
            sec,
            "installed manifest",
            x.get("installed_manifest_digest"),
            y.get("installed_manifest_digest"),
        )
        ua, ub = x.get("upstream") or {}, y.get("upstream") or {}
        for key in ("repo", "pinned_commit", "head_commit", "dirty"):
            _cmp(ch, sec, f"upstream {key.replace('_', ' ')}", ua.get(key), ub.get(key))
        _cmp(
            ch,
            sec,
            "patches",
            sorted(p.get("id") for p in x.get("patches") or []),
            sorted(p.get("id") for p in y.get("patches") or []),
        )
        ea, eb = x.get("env") or {}, y.get("env") or {}
        for key in ("python", "torch", "torch_cuda"):
            _cmp(ch, sec, f"env {key}", ea.get(key), eb.get(key))
        _packages(ch, f"packages {name}", ea.get("packages") or {}, eb.get("packages") or {})
    return ch


def _mean(values: list[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return statistics.fmean(vals) if vals else None


def _per_solution(settings: Settings, run: RunView) -> dict[str, dict[str, float | None]]:
    """solution -> metric key -> mean over that solution's successful jobs (+ success rate, ratings)."""
    out: dict[str, dict[str, float | None]] = {}
    groups: dict[str, list] = {}
    for j in run.jobs:
        groups.setdefault(j.solution, []).append(j)
    ratings = ratings_for_jobs(settings, [j.job_id for j in run.jobs])
    for sol, jobs in groups.items():
        ok = [j for j in jobs if j.ok]
        values = [normalise(j.metrics) for j in ok]
        row: dict[str, float | None] = {m.key: _mean([v[m.key] for v in values]) for m in METRICS}
        row["success_rate"] = len(ok) / len(jobs)
        sr = summarise(sol, [j.job_id for j in jobs], ratings)
        for c in CRITERIA:
            row[f"rating_{c.key}"] = sr.means.get(c.key)
        out[sol] = row
    return out


def _label(key: str) -> str:
    if key in METRIC_BY_KEY:
        m = METRIC_BY_KEY[key]
        return f"{m.label} ({m.unit})"
    if key == "success_rate":
        return "Success rate"
    crit = {f"rating_{c.key}": c.label for c in CRITERIA}
    return f"Rating: {crit.get(key, key)}"


def _fingerprint_of(settings: Settings, run: RunView, notes: list[str]) -> dict[str, Any]:
    if run.fingerprint:
        return run.fingerprint
    try:
        catalog = Catalog.load(settings.solutions_dir)
    except ManifestError as exc:
        notes.append(f"Run {run.run_id} has no fingerprint and the catalog did not load ({exc}).")
        return {}
    notes.append(
        f"Run {run.run_id} recorded no fingerprint; it was captured now, so its environment facts are today's."
    )
    return capture_fingerprint(settings, catalog, [j.solution for j in run.jobs])


def diff_runs(settings: Settings, run_a: str, run_b: str) -> RunDiff:
    a, b = load_run(settings, run_a), load_run(settings, run_b)
    notes: list[str] = []
    changes = diff_fingerprints(_fingerprint_of(settings, a, notes), _fingerprint_of(settings, b, notes))
    inputs = [InputRow(*row) for row in input_rows(a, b)]
    differ = any(r.differs for r in inputs)
    ma, mb = _per_solution(settings, a), _per_solution(settings, b)
    deltas = []
    for sol in [s for s in ma if s in mb]:
        for key in [*(m.key for m in METRICS), "success_rate", *(f"rating_{c.key}" for c in CRITERIA)]:
            if ma[sol].get(key) is None and mb[sol].get(key) is None:
                continue
            comparable = not (differ and key in LENGTH_BOUND)
            deltas.append(MetricDelta(sol, key, _label(key), ma[sol].get(key), mb[sol].get(key), comparable))
    only_a, only_b = [s for s in ma if s not in mb], [s for s in mb if s not in ma]
    sa, sb = (
        scores_section.per_solution(scores_section.load_scores(settings, r.jobs), r.jobs) for r in (a, b)
    )
    return RunDiff(run_a, run_b, changes, deltas, only_a, only_b, notes, inputs, sa, sb)


def _show(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, list):
        return ", ".join(str(x) for x in v) or "(none)"
    return str(v)


def _fmt_metric(key: str, v: float | None) -> str:
    if key in METRIC_BY_KEY:
        return fmt_value(key, v)
    if v is None:
        return "—"
    return f"{100 * v:.0f}%" if key == "success_rate" else f"{v:.2f}"


def render_diff(diff: RunDiff, fmt: str = "md") -> str:
    """`md` (GitHub tables) or `json`."""
    if fmt == "json":
        return json.dumps(diff.to_dict(), indent=2, default=str) + "\n"
    if fmt != "md":
        raise ValueError(f"diff formats: md, json (not {fmt!r})")
    out = [f"# Run diff: `{diff.run_a}` → `{diff.run_b}`", ""]
    if diff.inputs_differ:
        what = "; ".join(f"{r.item}: {r.a} → {r.b}" for r in diff.inputs if r.differs)
        out += [
            f"> **Warning: inputs differ: metrics are not comparable as a speed-up/regression** ({what}). "
            "Time and energy grow with the input, so their deltas are left out (n/c); compare RTF, the time "
            "per second of audio.",
            "",
        ]
    for n in diff.notes:
        out += [f"> **Note:** {n}", ""]
    if diff.only_in_a or diff.only_in_b:
        out += [
            f"- only in A: {', '.join(diff.only_in_a) or '—'}",
            f"- only in B: {', '.join(diff.only_in_b) or '—'}",
            "",
        ]
    if diff.inputs:
        out += ["## Inputs", "", "| Input | A | B | |", "| --- | --- | --- | --- |"]
        out += [f"| {r.item} | {r.a} | {r.b} | {'differs' if r.differs else ''} |" for r in diff.inputs]
        out.append("")
    out += ["## Environment", ""]
    if not diff.changes:
        out += ["No differences in the recorded environment fingerprints.", ""]
    else:
        out += ["| Section | Item | A | B |", "| --- | --- | --- | --- |"]
        out += [f"| {c.section} | {c.item} | {_show(c.before)} | {_show(c.after)} |" for c in diff.changes]
        out.append("")
    out += ["## Metrics (mean over each solution's successful jobs)", ""]
    if not diff.metrics:
        out += ["No solution ran in both runs.", ""]
    else:
        out += ["| Solution | Metric | A | B | Δ | Δ % |", "| --- | --- | ---: | ---: | ---: | ---: |"]
        for m in diff.metrics:
            d = "—" if m.delta is None else f"{m.delta:+.3g}"
            pct = "—" if m.pct is None else f"{m.pct:+.1f}%"
            if not m.comparable:
                d = pct = "n/c"
            out.append(
                f"| {m.solution} | {m.label} | {_fmt_metric(m.key, m.a)} | {_fmt_metric(m.key, m.b)} | {d} | {pct} |"
            )
        out.append("")
        if any(not m.comparable for m in diff.metrics):
            out += ["n/c: not comparable, because the runs were given different inputs (see Inputs).", ""]
    out += scores_section.diff_lines(diff.scores_a, diff.scores_b)
    return "\n".join(out)
