"""verify fails when two installed distributions own the same package (issue 12: V-Express ended with
opencv-python and opencv-python-headless both in cv2/), through the real engine and a real env."""

from __future__ import annotations

from setuplab import SetupLab
from stand_ins.packages import write_wheel

from thtui.core.gpu_info import GpuReport
from thtui.core.setup import install

NO_GPU = GpuReport(None, None, (), "no GPU (test)")
CV2 = {
    "cv2/__init__.py": "from .version import v\n",
    "cv2/version.py": "v = '4'\n",
    "cv2/load_config_py3.py": "\n",
}


def test_two_opencv_layouts_in_one_env_fail_verify_naming_both(lab: SetupLab) -> None:
    gui = write_wheel(lab.tmp / "wheels", "opencv-python", "4.9.0.80", CV2)
    headless = write_wheel(lab.tmp / "wheels", "opencv-python-headless", "4.11.0.86", CV2)
    loaded = lab.write(env__pip=[str(lab.wheel), str(gui), str(headless)], env__verify_imports=["cv2"])
    result = install(lab.settings, loaded, gpu=NO_GPU)
    assert not result.ok and result.failed_step == "verify"
    assert result.error == (
        "cv2 is installed by opencv-python 4.9.0.80 and opencv-python-headless 4.11.0.86: "
        "whichever installed last owns its files"
    )
    assert "opencv-python-headless only" in result.hint


def test_one_opencv_passes_and_verify_records_the_installed_set(lab: SetupLab) -> None:
    headless = write_wheel(lab.tmp / "wheels", "opencv-python-headless", "4.9.0.80", CV2)
    loaded = lab.write(env__pip=[str(lab.wheel), str(headless)], env__verify_imports=["cv2"])
    result = install(lab.settings, loaded, gpu=NO_GPU)
    assert result.ok, result.error
    from thtui.core.setup.record import Record

    seen = Record.load(lab.settings, "tiny").info("verify")["installed"]
    assert seen["opencv-python-headless"] == "4.9.0.80" and seen["tinydep"] == "1.0"


def test_setup_of_a_gpu_only_system_says_so_before_it_starts(lab: SetupLab) -> None:
    data = lab.manifest_data(weights=[])
    data["gpu_required"] = True
    lab.write_data(data)
    out = lab.thtui("setup", "tiny")  # no NVML in the test environment: no GPU visible
    text = " ".join(out.stdout.split())
    assert "note: tiny needs an NVIDIA GPU (it has no CPU fallback) and none is visible here" in text
    assert out.returncode == 0, out.stdout + out.stderr
