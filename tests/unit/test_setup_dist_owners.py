"""The duplicate-owner check on fabricated dist-info: both OpenCV wheels' layouts, PIL from pillow and
pillow-simd, and shared namespace roots (nvidia/__init__.py) that are not a conflict."""

from __future__ import annotations

from pathlib import Path

from thtui.core.setup.dist_owners import installed, shared_packages


def _dist(site: Path, name: str, version: str, files: list[str]) -> None:
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\nbody\n")
    rows = [f"{f},sha256=x,1" for f in files] + [f"{info.name}/RECORD,,"]
    (info / "RECORD").write_text("\n".join(rows) + "\n")


def test_both_opencv_layouts_are_found_and_named(tmp_path: Path) -> None:
    cv2 = ["cv2/__init__.py", "cv2/cv2.abi3.so", "cv2/version.py", "cv2/__pycache__/version.cpython-310.pyc"]
    _dist(tmp_path, "opencv-python", "4.9.0.80", [*cv2, "opencv_python.libs/libavcodec.so"])
    _dist(tmp_path, "opencv-python-headless", "4.11.0.86", [*cv2, "opencv_python_headless.libs/libz.so"])
    _dist(tmp_path, "pillow", "10.4.0", ["PIL/Image.py", "PIL/__init__.py"])
    _dist(tmp_path, "pillow-simd", "9.0.0", ["PIL/Image.py", "PIL/__init__.py"])
    shared = shared_packages(installed([tmp_path, tmp_path]))
    assert [s.message() for s in shared] == [
        "PIL is installed by pillow 10.4.0 and pillow-simd 9.0.0",
        "cv2 is installed by opencv-python 4.9.0.80 and opencv-python-headless 4.11.0.86",
    ]


def test_namespace_roots_and_single_owners_are_not_conflicts(tmp_path: Path) -> None:
    _dist(tmp_path, "nvidia-cublas-cu12", "12.1", ["nvidia/__init__.py", "nvidia/cublas/lib/libcublas.so"])
    _dist(tmp_path, "nvidia-cudnn-cu12", "8.9", ["nvidia/__init__.py", "nvidia/cudnn/lib/libcudnn.so"])
    _dist(tmp_path, "opencv-python-headless", "4.9.0.80", ["cv2/__init__.py", "cv2/version.py"])
    _dist(tmp_path, "six", "1.16.0", ["six.py", "../../../bin/tool"])
    dists = installed([tmp_path])
    assert {d.name for d in dists} == {
        "nvidia-cublas-cu12",
        "nvidia-cudnn-cu12",
        "opencv-python-headless",
        "six",
    }
    assert shared_packages(dists) == []
