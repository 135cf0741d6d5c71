"""The load benchmark's mail provider: a loopback SMTP server that takes every message the site sends."""

from __future__ import annotations

from django.core.mail import EmailMessage, get_connection

from bench.load.mail_sink import MailSink


def test_the_sink_takes_the_sites_multipart_mail_over_smtp():
    sink = MailSink().start()
    try:
        connection = get_connection(
            "django.core.mail.backends.smtp.EmailBackend", host="127.0.0.1", port=sink.port, use_tls=False, timeout=5
        )
        messages = []
        for n in range(3):
            message = EmailMessage(f"Booked {n}", "A line\n.\nwith a lone dot", "a@example.org", ["b@example.org"])
            message.attach("invite.ics", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar")
            messages.append(message)
        assert connection.send_messages(messages) == 3
        assert sink.received == 3
    finally:
        sink.stop()
