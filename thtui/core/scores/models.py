"""The dlib weights the offline scores use, found inside the `face-recognition-models` package.

`import face_recognition_models` fails on current setuptools (its __init__ imports pkg_resources), so the
package is located with importlib's spec without running it. Licences: the descriptor model is public
domain; the 68-point landmark model is public domain but was trained on iBUG 300-W, whose licence
excludes commercial use (said wherever these scores are described).
"""

from __future__ import annotations

import importlib.util
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

LANDMARKS_68 = "shape_predictor_68_face_landmarks.dat"
DESCRIPTOR = "dlib_face_recognition_resnet_model_v1.dat"
LICENCE_NOTE = (
    "68-point landmarks: dlib model trained on iBUG 300-W (non-commercial use only); "
    "identity descriptor: dlib ResNet v1 (public domain)"
)
# dlib objects do not promise thread safety; the scorer may run in a worker beside the TUI.
LOCK = threading.Lock()


class ScoreModelsMissing(RuntimeError):
    """The weights package is not installed (pip install face-recognition-models)."""


def models_dir() -> Path:
    spec = importlib.util.find_spec("face_recognition_models")
    locations = list(spec.submodule_search_locations or []) if spec else []
    if not locations:
        raise ScoreModelsMissing(
            "the face-recognition-models package is not installed (pip install face-recognition-models)"
        )
    return Path(locations[0]) / "models"


def model_path(name: str) -> Path:
    path = models_dir() / name
    if not path.is_file():
        raise ScoreModelsMissing(f"{name} missing from {path.parent} (reinstall face-recognition-models)")
    return path


@lru_cache(maxsize=1)
def shape_predictor() -> Any:
    import dlib

    return dlib.shape_predictor(str(model_path(LANDMARKS_68)))


@lru_cache(maxsize=1)
def face_descriptor_model() -> Any:
    import dlib

    return dlib.face_recognition_model_v1(str(model_path(DESCRIPTOR)))
