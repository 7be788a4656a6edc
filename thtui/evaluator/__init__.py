"""thtui's evaluator: paper-standard scores (LSE-C/D and AV offset by a SyncNet reimplementation, CSIM with
ArcFace, PSNR/SSIM/LPIPS/FID/FVD against a ground truth) that run INSIDE the evaluator env (torch, OpenCV, onnxruntime),
never in thtui's own process.

thtui starts it as a subprocess with an argv list (thtui.core.scores.paper_run) and reads one JSON object
from its stdout. It imports nothing from thtui: the env has no thtui, so this package is loaded from its
folder under the name `thtui_evaluator` and uses relative imports only. Module tops import the standard
library only; numpy, cv2, torch and onnxruntime load inside the functions that need them.

Written from the published descriptions of the pipeline (see shared/metrics.md), not copied from upstream.
"""

EVALUATOR_VERSION = "1"
