"""nncalc: the probability math of neural networks, exact and from the shell.

The NumPy core is the Python API::

    >>> from nncalc import kl_divergence
    >>> kl_divergence([0, 0, 1, 0], [0.1, 0.2, 0.6, 0.1])
    0.5108256237659907
"""

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

__version__ = "0.1.0"

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
