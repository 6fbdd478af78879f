"""frouros' detectors, imported without the logging set-up frouros does on import.

frouros (0.9) attaches a stderr handler at level INFO to the *root* logger
when imported, which makes every library's INFO messages (e.g. Alembic's)
appear on a netal command's output.  This module imports what netal uses and
puts the root logger back as it was.
"""

import logging

_root = logging.getLogger()
_handlers, _level = list(_root.handlers), _root.level

from frouros.callbacks import PermutationTestDistanceBased  # noqa: E402
from frouros.detectors.data_drift import MMD, KSTest  # noqa: E402

_root.handlers[:] = _handlers
_root.setLevel(_level)

__all__ = ["MMD", "KSTest", "PermutationTestDistanceBased"]
