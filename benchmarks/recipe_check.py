"""Recipe check: build a solution's env for real through thtui's own setup engine, then prove it works.

    nice -n 10 .venv/bin/python benchmarks/recipe_check.py wav2lip sadtalker   # or --all
    .venv/bin/python benchmarks/recipe_check.py --all --json out.json --keep

A developer tool run on demand (not in CI): every new manifest should pass it before it lands.
For each system, in a scratch data root (one at a time; each env is ~5 GB and is deleted afterwards
unless --keep):
  setup     thtui.core.setup.install() - the real engine, no copy of its logic - with the env backend
            found here (uv when there is no conda). Torch comes from the profile's index, or, when that
            index is unreachable (download.pytorch.org here), the SAME versions from PyPI (said in the
            output). The clone comes from the pinned commit; git's own `url.<base>.insteadOf` rewriting
            points it at a local mirror when --mirror DIR holds `<owner>+<name>/repo` bare snapshots.
            Weights are skipped (not downloaded) with --no-weights, e.g. where HF/Drive are unreachable.
  patches   how many repo / site-packages patches were applied (from the install record)
  imports   every verify_imports module imports (the engine's verify step, which also rejects two
            distributions owning one package)
  help      the planned argv up to its entry (`python ENTRY` or `python -m MODULE`), then `--help`, in the
            manifest's cwd
  infer     where the system runs on CPU: random weights of the right architecture saved to the
            weight paths (RANDOM_WEIGHTS below), then the exact planned argv (thtui.core.plan), the
            inputs prepared as a job prepares them, and the output checked like a real job's output.
Prints a table and writes JSON (--json). Exit status 0 when every stage of every system passed.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PYPI = "https://pypi.org/simple"
STAGES = ("setup", "patches", "imports", "help", "infer")

# Systems whose code runs on the CPU, and how to write random weights of the right architecture at the
# paths the plan reads (run with the env's Python in the clone). Systems absent here say why in WHY_NO_INFER.
RANDOM_WEIGHTS = {
    "wav2lip": (
        "import torch\n"
        "from models import Wav2Lip\n"
        "from face_detection.detection.sfd.net_s3fd import s3fd\n"
        "torch.manual_seed(0)\n"
        "torch.save({'state_dict': Wav2Lip().state_dict()}, 'checkpoints/wav2lip_gan.pth')\n"
        "torch.save(s3fd().state_dict(), 'face_detection/detection/sfd/s3fd.pth')\n"
    ),
}
WHY_NO_INFER = {
    "audio2head": "gpu_required: the code calls .cuda() unconditionally",
    "sadtalker": "not automated yet: random weights for its ~10 checkpoints (safetensors + GFPGAN/facexlib)",
    "echomimic": "diffusion at 512x512 on CPU takes hours; random UNet/VAE/whisper weights not automated",
    "v_express": "diffusion at 512x512 on CPU takes hours; it also calls .cuda() via --gpu_id",
}


def _reachable(url: str, timeout: float = 8.0) -> bool:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=timeout):
            return True
    except Exception:
        return False


def _first_line(text: str | None) -> str:
    lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip()]
    for ln in reversed(lines):  # the last error-looking line of a traceback says the most
        if "Error" in ln or "error:" in ln.lower():
            return ln[:200]
    return (lines[-1] if lines else "")[:200]


def _du(path: Path) -> int | None:
    if not path.exists():
        return None
    out = subprocess.run(["du", "-sb", str(path)], capture_output=True, text=True)
    return int(out.stdout.split()[0]) if out.returncode == 0 else None


def mirror_config(mirror: Path | None, repos: list[str]) -> dict[str, str]:
    """GIT_CONFIG_* variables: url.<local bare repo>.insteadOf=<upstream URL>, git's own rewriting."""
    env: dict[str, str] = {}
    n = 0
    for url in repos:
        if mirror is None:
            continue
        owner_name = url.removesuffix(".git").split("github.com/")[-1].replace("/", "+")
        local = mirror / owner_name / "repo"
        if local.is_dir():
            env[f"GIT_CONFIG_KEY_{n}"] = f"url.{local}.insteadOf"
            env[f"GIT_CONFIG_VALUE_{n}"] = url
            n += 1
    if n:
        env["GIT_CONFIG_COUNT"] = str(n)
    return env


def _torch_source(env, mirror_pypi: bool):  # type: ignore[no-untyped-def]
    """The env with each torch profile's index reachable here, and what was done, in words."""
    notes, profiles = [], {}
    for name, p in env.torch.items():
        if mirror_pypi or not _reachable(p.index_url.rstrip("/") + "/torch/"):
            profiles[name] = p.model_copy(update={"index_url": PYPI})
            notes.append(f"{name}: {p.index_url} unreachable, torch {p.torch} from PyPI instead")
        else:
            profiles[name] = p
    return env.model_copy(update={"torch": profiles}), notes


def _stage(ok: bool | None, detail: str = "") -> dict:
    return {"ok": ok, "detail": detail}


def check(name: str, args: argparse.Namespace, home: Path) -> dict:
    from thtui.core.catalog import load_manifest
    from thtui.core.config import load_settings
    from thtui.core.envs import env_environ
    from thtui.core.gpu_info import probe_gpus
    from thtui.core.setup import install
    from thtui.core.setup.record import Record
    from thtui.core.setup.target import target_of

    t0 = time.monotonic()
    loaded = load_manifest(ROOT / "solutions" / name / "solution.yaml")
    sol = loaded.solution
    os.environ["THTUI_HOME"] = str(home)
    if args.env_backend:
        os.environ["THTUI_ENV_BACKEND"] = args.env_backend
    settings = load_settings()
    env, notes = _torch_source(sol.env, args.torch_from_pypi)
    target = target_of(loaded)
    weights = () if args.no_weights else target.weights
    if args.no_weights and target.weights:
        notes.append(f"weights skipped ({len(target.weights)} entries): --no-weights")
    target = dataclasses.replace(target, env=env, weights=weights)
    gpu = probe_gpus()
    res: dict = {"system": name, "notes": notes, "stages": {}, "gpu": bool(gpu.gpus)}
    st = res["stages"]
    result = install(settings, target, gpu=gpu, use_lock=not args.no_lock)
    if result.failed_step == "clone" and args.env_without_clone:
        # The mirror cannot serve the pinned commit (a snapshot without its large blobs): still prove
        # the env, through the same engine, with no upstream (clone and patch-repo skipped).
        notes.append(f"clone failed ({result.error}); env built without the clone (--env-without-clone)")
        target = dataclasses.replace(target, upstream=None, patches=tuple(target.site_patches))
        result = install(settings, target, gpu=gpu, use_lock=not args.no_lock)
    record = Record.load(settings, name)
    res["log"] = result.log_path
    res["setup_seconds"] = round(result.seconds, 1)
    res["env_backend"] = record.info("env").get("manager")
    res["python"] = record.info("env").get("python")
    res["torch"] = (record.info("torch") or {}).get("torch")
    res["installed"] = (record.info("verify") or {}).get("installed")
    res["lock"] = record.info("requirements").get("lock")  # None: resolved afresh (--no-lock, stale, none)
    res["lock_differs"] = record.info("verify").get("lock_differs")
    failed = result.failed_step
    st["setup"] = _stage(
        result.ok or failed == "verify",
        f"failed at {failed}: {result.error}" if failed and failed != "verify" else "",
    )
    counts = [len(record.info(s).get("patches", [])) for s in ("patch-repo", "patch-site")]
    no_clone = target.upstream is None
    st["patches"] = _stage(
        None if failed in ("clone", "patch-repo") else True,
        f"{counts[0]} repo, {counts[1]} site-packages"
        + (" (no clone: repo patches not applied)" if no_clone else ""),
    )
    st["imports"] = _stage(result.ok, "" if result.ok else (result.error or ""))
    prefix, repo = settings.envs_dir / name, settings.repos_dir / name
    python = prefix / "bin" / "python"
    if python.exists() and repo.is_dir() and sol.upstream:
        cwd, planned = _planned_cwd(loaded, settings, home)
        out = subprocess.run(
            help_argv(planned, sol.upstream.entry) or [str(python), str(repo / sol.upstream.entry), "--help"],
            cwd=cwd,
            env=env_environ(prefix),
            capture_output=True,
            text=True,
            timeout=300,
        )
        usage = "usage:" in out.stdout.lower()
        st["help"] = _stage(out.returncode == 0 and usage, "" if usage else _first_line(out.stderr))
    else:
        st["help"] = _stage(None, "no env or clone")
    if args.no_infer:
        st["infer"] = _stage(None, "skipped: --no-infer")
    elif sol.gpu_required and not gpu.gpus:
        st["infer"] = _stage(None, "skipped: " + WHY_NO_INFER.get(name, "the manifest says gpu_required"))
    elif name not in RANDOM_WEIGHTS:
        st["infer"] = _stage(None, "skipped: " + WHY_NO_INFER.get(name, "no random-weights recipe"))
    elif not (st["imports"]["ok"] and python.exists()):
        st["infer"] = _stage(None, "skipped: the env is not ready")
    else:
        st["infer"] = infer_random(loaded, settings, prefix, repo, home, gpu)
    res["env_bytes"] = _du(prefix)
    res["seconds"] = round(time.monotonic() - t0, 1)
    return res


def _planned_cwd(loaded, settings, home: Path) -> tuple[Path, list[str]]:  # type: ignore[no-untyped-def]
    """The manifest's cwd as a job gets it ({repo}, or a fresh {outdir}, ...), created, and the argv."""
    from thtui.core.plan import build_plan

    assets = ROOT / "assets"
    plan = build_plan(
        loaded, settings, assets / "portrait.jpg", assets / "speech.wav", job_dir=home / "help-job"
    )
    Path(plan.cwd).mkdir(parents=True, exist_ok=True)
    return Path(plan.cwd), list(plan.argv)


def help_argv(planned: list[str], entry: str) -> list[str] | None:
    """The planned argv up to its entry, then --help: the entry runs the way a job runs it, as a script
    path or as `-m package.module` (MuseTalk and LatentSync import their own package, so the script path
    alone fails with ModuleNotFoundError)."""
    module = entry.removesuffix(".py").replace("/", ".")
    for i, arg in enumerate(planned):
        if arg.endswith(entry) or (arg == module and i > 0 and planned[i - 1] == "-m"):
            return [*planned[: i + 1], "--help"]
    return None


def infer_random(loaded, settings, prefix: Path, repo: Path, home: Path, gpu) -> dict:  # type: ignore[no-untyped-def]
    """Random weights, then the job's own path: plan -> prepared inputs -> argv in cwd -> output check."""
    from thtui.core.envs import env_environ
    from thtui.core.jobs import media_glue
    from thtui.core.jobs.output import find_output
    from thtui.core.jobs.runner import duration_tolerance
    from thtui.core.plan import build_plan

    sol = loaded.solution
    made = subprocess.run(
        [str(prefix / "bin" / "python"), "-c", RANDOM_WEIGHTS[sol.name]],
        cwd=repo,
        env=env_environ(prefix),
        capture_output=True,
        text=True,
        timeout=600,
    )
    if made.returncode != 0:
        return _stage(False, "random weights: " + _first_line(made.stderr))
    plan = build_plan(
        loaded,
        settings,
        ROOT / "assets" / "portrait.jpg",
        ROOT / "assets" / "speech.wav",
        gpu=0 if gpu.gpus else None,
        job_dir=home / "job",
    )
    try:
        media_glue.prepare(plan, loaded)
    except Exception as exc:  # an input the system cannot use: the stage fails with its message
        return _stage(False, f"inputs: {exc}")
    for d in plan.mkdirs:
        Path(d).mkdir(parents=True, exist_ok=True)
    for f in plan.files:
        Path(f.path).parent.mkdir(parents=True, exist_ok=True)
        Path(f.path).write_text(f.content)
    started = time.time()
    t0 = time.monotonic()
    run = subprocess.run(
        plan.argv, cwd=plan.cwd, env=plan.full_env(), capture_output=True, text=True, timeout=1800
    )
    secs = time.monotonic() - t0
    out = find_output(plan, started)
    if out is None:
        return _stage(False, f"no output (exit {run.returncode}): " + _first_line(run.stderr + run.stdout))
    audio = next(i.dest for i in plan.inputs if i.kind == "audio")
    audio_s = media_glue.audio_seconds(Path(audio))
    problem = media_glue.validate_result(out, audio_s, duration_tolerance(audio_s))
    if problem:
        return _stage(False, f"output {out.name}: {problem}")
    from thtui.core.media import probe

    info = probe(out)
    return _stage(
        True,
        f"{secs:.0f} s on {'GPU' if gpu.gpus else 'CPU'}, {info.duration_s:.2f} s video, exit {run.returncode}",
    )


def _table(results: list[dict]) -> str:
    def cell(s: dict) -> str:
        mark = {True: "ok", False: "FAILED", None: "-"}[s["ok"]]
        return mark + (f" ({s['detail']})" if s["detail"] else "")

    lines = []
    for r in results:
        size = f"{r['env_bytes'] / 1e9:.1f} GB" if r.get("env_bytes") else "-"
        lines.append(
            f"{r['system']}: {r['seconds']:.0f} s (setup {r['setup_seconds']:.0f} s), env {size}, "
            f"{r.get('python')}, torch {r.get('torch')}, backend {r.get('env_backend')}"
        )
        lock = Path(r["lock"]).name if r.get("lock") else "none (resolved afresh)"
        differs = r.get("lock_differs")
        lines.append(f"  lock     {lock}" + (f"; differs: {', '.join(differs)}" if differs else ""))
        for stage in STAGES:
            lines.append(f"  {stage:8} {cell(r['stages'][stage])}")
        for n in r["notes"]:
            lines.append(f"  note: {n}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", help="solution names (solutions/<name>/solution.yaml)")
    ap.add_argument("--all", action="store_true", help="every upstream solution in solutions/")
    ap.add_argument("--json", type=Path, help="write the results here")
    ap.add_argument("--keep", action="store_true", help="keep each scratch data root (env ~5 GB)")
    ap.add_argument("--home", type=Path, help="scratch parent (default: a temp dir)")
    ap.add_argument("--mirror", type=Path, help="dir of <owner>+<name>/repo bare mirrors (git insteadOf)")
    ap.add_argument("--env-backend", choices=["auto", "conda", "mamba", "micromamba", "uv"])
    ap.add_argument("--torch-from-pypi", action="store_true", help="PyPI torch even if the index answers")
    ap.add_argument("--no-weights", action="store_true", help="skip weight downloads (HF/Drive unreachable)")
    ap.add_argument("--no-infer", action="store_true", help="skip the random-weights inference")
    ap.add_argument("--no-lock", action="store_true", help="resolve afresh instead of installing the lock")
    ap.add_argument(
        "--env-without-clone",
        action="store_true",
        help="when the clone fails (an incomplete mirror), still build and verify the env without it",
    )
    args = ap.parse_args(argv)
    from thtui.core.catalog import load_manifest

    names = list(args.names)
    if args.all:
        names = sorted(
            p.parent.name
            for p in (ROOT / "solutions").glob("*/solution.yaml")
            if load_manifest(p).solution.kind == "upstream"
        )
    if not names:
        ap.error("name at least one solution, or --all")
    repos = [load_manifest(ROOT / "solutions" / n / "solution.yaml").solution.upstream.repo for n in names]
    os.environ.update(mirror_config(args.mirror, repos))
    results = []
    for name in names:
        parent = args.home or Path(tempfile.gettempdir())
        home = Path(tempfile.mkdtemp(prefix=f"recipe-{name}-", dir=parent))
        try:
            results.append(check(name, args, home))
        except Exception as exc:  # one system's crash does not stop the others
            results.append(
                {
                    "system": name,
                    "error": f"{type(exc).__name__}: {exc}",
                    "seconds": 0,
                    "setup_seconds": 0,
                    "notes": [],
                    "stages": {s: _stage(False, str(exc)[:200]) for s in STAGES},
                }
            )
        finally:
            if not args.keep:
                shutil.rmtree(home, ignore_errors=True)
        print(_table(results[-1:]), flush=True)
        if args.json:
            args.json.write_text(json.dumps(results, indent=2) + "\n")
    ok = all(s["ok"] is not False for r in results for s in r["stages"].values())
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
