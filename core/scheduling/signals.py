"""Signals other apps listen to (notifications, reminders, calendars, payments, dashboards).

Every signal is sent **after the transaction commits** (``transaction.on_commit``),
so a listener sees the saved state and nothing is announced for work that was
rolled back. Receivers should be quick or hand work to Celery.

* ``booking_transitioned(sender=Booking, booking, old_status, new_status, actor)``:
  a booking moved in its state machine. ``old_status`` is ``None`` when the
  booking was just created. ``actor`` is the ``User`` who caused it, or ``None``
  for the system (hold expiry, sweeps).
* ``session_changed(sender=Session, session, change)``: ``change`` is one of
  ``"created"``, ``"rescheduled"``, ``"cancelled"``, ``"started"``, ``"ended"``.
* ``waitlist_offered(sender=WaitlistEntry, entry)``: a freed seat is offered to
  ``entry.learner`` until ``entry.offer_expires_at``.
* ``hold_extended(sender=Booking, booking)``: a pending booking's payment
  deadline (``booking.hold_expires_at``) was moved later (a bank transfer).
* ``session_ending(sender=Session, session)`` is the exception: sent *before*
  the sweep ends a session nobody ended, so that whoever knows attendance (the
  rooms app) can answer with the confirmed bookings whose learner never came;
  those become no-shows instead of completed.
"""

from django.dispatch import Signal

booking_transitioned = Signal()
session_changed = Signal()
waitlist_offered = Signal()
hold_extended = Signal()
session_ending = Signal()

SESSION_CHANGES = ("created", "rescheduled", "cancelled", "started", "ended")
