"""Signals of booking approval (sent after commit).

* ``times_proposed(sender=Booking, booking, proposals)``: the mentor offered other times.
"""

from django.dispatch import Signal

times_proposed = Signal()
