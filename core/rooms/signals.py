"""Signals the rooms app sends (analytics listens).

* ``room_left(sender=Attendance, attendance)``: one stay in a session's room
  closed. ``attendance`` holds the row as saved: ``left_at``, ``leave_reason``
  (left, disconnected, replaced by another tab, the session ended, stale) and
  ``seconds()`` for the time stayed. Sent **after the transaction commits**, once
  per stay, whichever path closed it (``leave_room``, ``close_open_stays``, a
  join that replaces or sweeps stays).

Joining needs no signal of its own: it creates an ``Attendance`` row
(``post_save``); leaving only updates rows.
"""

from django.dispatch import Signal

room_left = Signal()
