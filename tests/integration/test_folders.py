"""No traceback from any folder (issue 10 item 3): a bad data root, outputs dir, report or speech
destination is one `thtui: …` line naming the path, and nothing is half-created."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from thtui.cli import main
from thtui.core.paths_check import PathProblem, check_output_file, check_writable_dir

ASSETS = Path(__file__).resolve().parents[2] / "assets"
PORTRAIT = ASSETS / "portrait.jpg"
SPEECH = ASSETS / "speech.wav"


def _one_line(err: str, *needles: str) -> None:
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    assert "Traceback" not in err
    assert lines and lines[0].startswith("thtui: ")
    for n in needles:
        assert n in err


def test_outputs_in_proc_is_one_line(settings, monkeypatch, capsys):
    monkeypatch.setenv("THTUI_OUTPUTS", "/proc/x")
    assert main(["runs"]) == 2  # was FileNotFoundError
    _one_line(capsys.readouterr().err, "/proc/x", "THTUI_OUTPUTS")


def test_outputs_that_is_a_file(settings, monkeypatch, capsys, tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("x")
    monkeypatch.setenv("THTUI_OUTPUTS", str(afile / "sub"))
    assert main(["runs"]) == 2  # was NotADirectoryError
    _one_line(capsys.readouterr().err, str(afile), "is a file")


def test_data_root_that_is_a_file_refuses_the_run_before_its_folder_exists(
    settings, monkeypatch, capsys, tmp_path
):
    afile = tmp_path / "home-file"
    afile.write_text("x")
    monkeypatch.setenv("THTUI_HOME", str(afile))
    rc = main(["run", "static", "--image", str(PORTRAIT), "--audio", str(SPEECH)])
    err = capsys.readouterr().err
    assert rc == 2
    _one_line(err, f"data root {afile} is a file", "THTUI_HOME")
    outputs = Path(os.environ["THTUI_OUTPUTS"])
    assert not [p for p in outputs.iterdir() if p.is_dir()] if outputs.exists() else True


@pytest.mark.parametrize("text", ["😀😀", "...!?", "a" * 5001, "مرحبا بكم في هذا الاختبار الطويل"])
def test_text_the_tts_refuses_leaves_no_run_folder(settings, capsys, text):
    rc = main(["run", "static", "--image", str(PORTRAIT), "--text", text])
    err = capsys.readouterr().err
    assert rc == 2
    _one_line(err, "cannot start the run")
    runs = [p for p in settings.outputs_dir.iterdir() if p.is_dir()] if settings.outputs_dir.exists() else []
    assert runs == []  # was: a run folder whose run.json said "running" forever


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a chmod 0500 folder anyway")
def test_read_only_outputs_dir(settings, monkeypatch, capsys, tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        monkeypatch.setenv("THTUI_OUTPUTS", str(ro))
        assert main(["runs"]) == 2  # was sqlite3.OperationalError
        _one_line(capsys.readouterr().err, str(ro), "cannot be written")
    finally:
        ro.chmod(0o700)


def test_checks_create_nothing(tmp_path):
    target = tmp_path / "a" / "b"
    assert check_writable_dir(target, "outputs dir") == target
    assert not (tmp_path / "a").exists()
    assert list(tmp_path.iterdir()) == []  # the write probe is removed again
    with pytest.raises(PathProblem, match="is a folder"):
        check_output_file(tmp_path, "report")
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    with pytest.raises(PathProblem, match="symlink loop"):
        check_writable_dir(loop / "x", "outputs dir")


@pytest.fixture
def finished_run(settings, capsys) -> str:
    """A real static run (from the bundled speech WAV), finished."""
    assert main(["run", "static", "--image", str(PORTRAIT), "--audio", str(SPEECH), "--json"]) == 0
    capsys.readouterr()
    (run_dir,) = [p for p in settings.outputs_dir.iterdir() if p.is_dir()]
    return run_dir.name


def test_report_to_a_folder_is_refused_and_leaves_no_partial(settings, capsys, tmp_path, finished_run):
    run_id = finished_run
    dest = tmp_path / "reports"
    dest.mkdir()
    assert main(["report", run_id, "-o", str(dest), "--format", "md"]) == 2  # was IsADirectoryError
    _one_line(capsys.readouterr().err, str(dest), "is a folder")
    assert list(dest.iterdir()) == []
    assert not list(tmp_path.glob("*.partial")) and not list(dest.parent.glob(".*.partial"))


@pytest.mark.parametrize(
    "argv",
    [
        ["say", "hello", "-o", "{tmp}/x.wav"],  # the TTS cache lives under the data root
        ["setup", "coqui-tts"],
        ["uninstall", "wav2lip"],
    ],
    ids=["say", "setup", "uninstall"],
)
def test_commands_name_a_data_root_that_is_a_file(settings, monkeypatch, capsys, tmp_path, argv):
    afile = tmp_path / "home-file"
    afile.write_text("x")
    monkeypatch.setenv("THTUI_HOME", str(afile))
    rc = main([a.replace("{tmp}", str(tmp_path)) for a in argv])
    err = capsys.readouterr().err
    assert rc != 0
    _one_line(err, str(afile), "is a file")
    assert afile.read_text() == "x"


def test_check_inputs_prepare_into_a_file_is_one_line(settings, capsys, tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("x")
    argv = ["check-inputs", "--image", str(PORTRAIT), "--audio", str(SPEECH), "--solution", "static"]
    assert main([*argv, "--prepare", str(afile / "x")]) == 2  # was NotADirectoryError
    _one_line(capsys.readouterr().err, "--prepare folder", "is a file")


def _read_only_namespace(
    folder: Path, argv: list[str], env: dict[str, str]
) -> subprocess.CompletedProcess | None:
    """Run `python -m thtui argv` where `folder` is a read-only bind mount (a user+mount namespace, so it
    holds for root too, for whom chmod 0500 changes nothing). None when namespaces are not available."""
    script = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"'
    cmd = ["unshare", "-rm", "sh", "-c", script, "sh", str(folder), sys.executable, "-m", "thtui", *argv]
    if shutil.which("unshare") is None:
        return None
    probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True)
    if probe.returncode != 0:
        return None
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.parametrize(
    "argv",
    [
        ["runs"],
        ["run", "static", "--image", str(PORTRAIT), "--audio", str(SPEECH)],
        ["say", "hi", "-o", "{ro}/a.wav"],
    ],
    ids=["runs", "run", "say"],
)
def test_a_read_only_folder_is_one_line(settings, tmp_path, argv):
    ro = tmp_path / "ro"
    ro.mkdir()
    env = {**os.environ, "THTUI_OUTPUTS": str(ro)}
    done = _read_only_namespace(ro, [a.replace("{ro}", str(ro)) for a in argv], env)
    if done is None:
        pytest.skip("no user/mount namespaces here (unshare -rm)")
    assert done.returncode == 2, done.stderr  # was sqlite3.OperationalError (run, runs) / OSError (say)
    _one_line(done.stderr, str(ro), "read-only file system")
    assert list(ro.iterdir()) == []
