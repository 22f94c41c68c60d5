"""nncalc: the probability math of neural networks, exact and from the shell.

The NumPy core is the Python API::

    >>> from nncalc import kl_divergence
    >>> kl_divergence([0, 0, 1, 0], [0.1, 0.2, 0.6, 0.1])
    0.5108256237659907

Bad input raises :class:`NncalcError` (alias ``NncalcValueError``), a
:class:`ValueError` whose message names the function's arguments, never a
command-line option.

Names are imported on first use, so that ``import nncalc`` (and the console
entry point, which guards Ctrl-C during start-up) costs nothing up front.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "NncalcError": "nncalc.errors",
    "NncalcValueError": "nncalc.errors",
    "compare": "nncalc.core.compare",
    "cross_entropy": "nncalc.core.xent",
    "cross_entropy_loss": "nncalc.core.xent",
    "distillation_loss": "nncalc.core.distill",
    "embedding_params": "nncalc.core.embeddings",
    "entropy": "nncalc.core.divergence",
    "js_divergence": "nncalc.core.divergence",
    "kl_divergence": "nncalc.core.divergence",
    "kl_estimators": "nncalc.core.policy",
    "kl_normal": "nncalc.core.gaussian",
    "log_softmax": "nncalc.core.softmax",
    "softmax": "nncalc.core.softmax",
}

__all__ = [
    "NncalcError",
    "NncalcValueError",
    "__version__",
    "compare",
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
    from nncalc.core.compare import compare
    from nncalc.core.distill import distillation_loss
    from nncalc.core.divergence import entropy, js_divergence, kl_divergence
    from nncalc.core.embeddings import embedding_params
    from nncalc.core.gaussian import kl_normal
    from nncalc.core.policy import kl_estimators
    from nncalc.core.softmax import log_softmax, softmax
    from nncalc.core.xent import cross_entropy, cross_entropy_loss
    from nncalc.errors import NncalcError, NncalcValueError


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'nncalc' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
