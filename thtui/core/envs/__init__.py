"""Conda-family env managers (conda, mamba, micromamba) and running programs inside an env.

Envs are prefix envs under the data root (`settings.envs_dir/<name>`), so nothing depends on the user's
base env, and programs run through the env's own interpreter with its bin dir first on PATH rather than
`conda run` (which buffers output, swallows signals and needs an activated shell).
"""

from thtui.core.envs.backend import (
    BACKEND_NAMES,
    EnvManager,
    NoEnvManager,
    detect_env_manager,
    require_env_manager,
)
from thtui.core.envs.runtime import env_bin, env_environ, env_python, installer_argv, pick_installer

__all__ = [
    "BACKEND_NAMES",
    "EnvManager",
    "NoEnvManager",
    "detect_env_manager",
    "env_bin",
    "env_environ",
    "env_python",
    "installer_argv",
    "pick_installer",
    "require_env_manager",
]
