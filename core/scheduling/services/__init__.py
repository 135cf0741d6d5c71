"""Domain logic of scheduling: availability, sessions, bookings, the waitlist."""
