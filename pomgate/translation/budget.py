"""What translating one Ingress may cost: a time budget, checked between regex compiles.

RE2 compiles in time linear in the pattern, but the constant can be large (a Unicode class under
`(?i)` costs about 0.1 ms to build), so one Ingress with many long regexes could keep `check` or
the controller busy for minutes. The per-regex bounds live in `validation` (RE2's `max_mem`, a cost
cap); this is the bound on the sum. Reading the clock is the only thing it does: no I/O.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

#: Seconds one Ingress's translation may take before its next regex is refused (`regex/too-costly`).
#: An ordinary Ingress takes well under a millisecond.
DEFAULT_INGRESS_BUDGET = 1.0


class IngressBudget:
    """The deadline of one Ingress's translation.

    Work a cache made free (a regex RE2 compiled before) is `charge`d as if it were done again, so
    a second translation of the same Ingress gets the same verdict as the first.
    """

    __slots__ = ("_clock", "_deadline", "compiled", "seconds")

    def __init__(self, seconds: float | None, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._deadline = math.inf if seconds is None else clock() + seconds
        #: Regexes compiled so far (for the message when the budget runs out).
        self.compiled = 0

    def charge(self, seconds: float) -> None:
        """Count ``seconds`` of work that did not take wall time (a cache answered)."""
        self._deadline -= seconds

    def exceeded(self) -> bool:
        """Whether the budget is used up (never, without a budget)."""
        return self._deadline != math.inf and self._clock() >= self._deadline
