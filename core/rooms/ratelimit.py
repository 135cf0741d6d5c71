"""A token bucket per socket: bursts are fine (ICE candidates come in bursts), floods are not."""

from __future__ import annotations

import time
from collections.abc import Callable


class TokenBucket:
    """Allow ``burst`` messages at once and ``rate`` per second after that.

    ``take()`` answers whether one more message may pass now. The clock is
    injectable so tests need not sleep.
    """

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self.rate = float(rate)
        self.burst = float(burst)
        self.tokens = float(burst)
        self.clock = clock
        self.updated = clock()

    def take(self, cost: float = 1.0) -> bool:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= cost:
            self.tokens -= cost
            return True
        return False

    def retry_after(self, cost: float = 1.0) -> float:
        """Seconds until ``cost`` tokens are there again."""
        return max(0.0, (cost - self.tokens) / self.rate)
