"""nncalc: the probability math of neural networks, exact and from the shell.

The NumPy core is the Python API::

    >>> from nncalc import kl_divergence
    >>> kl_divergence([0, 0, 1, 0], [0.1, 0.2, 0.6, 0.1])
    0.5108256237659907

Names are imported on first use, so that ``import nncalc`` (and the console
entry point, which guards Ctrl-C during start-up) costs nothing up front.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "NncalcError": "nncalc.errors",
    "cross_entropy": "nncalc.probability",
    "cross_entropy_loss": "nncalc.weighted_xent",
    "distillation_loss": "nncalc.distill",
    "embedding_params": "nncalc.embeddings",
    "entropy": "nncalc.probability",
    "js_divergence": "nncalc.probability",
    "kl_divergence": "nncalc.probability",
    "kl_estimators": "nncalc.policy",
    "kl_normal": "nncalc.gaussian",
    "log_softmax": "nncalc.probability",
    "softmax": "nncalc.probability",
}

__all__ = [
    "NncalcError",
    "__version__",
    "cross_entropy",
    "cross_entropy_loss",
    "distillation_loss",
    "embedding_params",
    "entropy",
    "js_divergence",
    "kl_divergence",
    "kl_estimators",
    "kl_normal",
    "log_softmax",
    "softmax",
]

if TYPE_CHECKING:
    from nncalc.distill import distillation_loss
    from nncalc.embeddings import embedding_params
    from nncalc.errors import NncalcError
    from nncalc.gaussian import kl_normal
    from nncalc.policy import kl_estimators
    from nncalc.probability import (
        cross_entropy,
        entropy,
        js_divergence,
        kl_divergence,
        log_softmax,
        softmax,
    )
    from nncalc.weighted_xent import cross_entropy_loss


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'nncalc' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
