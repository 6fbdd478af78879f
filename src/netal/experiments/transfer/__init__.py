"""``netal transfer``: transfer + active learning between network domains (issue 15).

:class:`TransferSettings` holds every knob (the ``[transfer]`` TOML table);
:func:`run_transfer_experiment` runs task x seed x arm cells through
:func:`netal.harness.run_study` and writes per-task reports.
"""

from netal.experiments.transfer.settings import ALL_ARMS, TransferSettings, load_transfer
from netal.experiments.transfer.study import (
    TransferOutcome,
    TransferStudy,
    run_transfer_experiment,
    share_table,
)

__all__ = [
    "ALL_ARMS",
    "TransferOutcome",
    "TransferSettings",
    "TransferStudy",
    "load_transfer",
    "run_transfer_experiment",
    "share_table",
]
