"""A loopback SMTP server that accepts every message and keeps a count: the mail provider of ``bench.load``.

Without ``EMAIL_HOST`` production settings print each email to the worker's
standard output, and a crowd's booking emails (multipart, with calendar
invitations) then cost the machine more in logging than in sending. A real
deployment hands them to a provider over SMTP; this is that conversation,
on loopback, with nothing stored.
"""

from __future__ import annotations

import asyncio
import threading


class MailSink(threading.Thread):
    """SMTP on ``127.0.0.1:<port>`` in a thread of its own; ``received`` counts the messages accepted."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.received = 0
        self.port = 0
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    def run(self) -> None:
        self._loop = asyncio.new_event_loop()
        server = self._loop.run_until_complete(asyncio.start_server(self._session, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    def start(self) -> MailSink:
        super().start()
        self._ready.wait(10)
        return self

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        def reply(line: str) -> None:
            writer.write(f"{line}\r\n".encode())

        reply("220 bench.peerlearn.local ESMTP")
        try:
            while line := await reader.readline():
                verb = line[:4].upper()
                if verb == b"EHLO":
                    reply("250-bench.peerlearn.local")
                    reply("250 8BITMIME")
                elif verb == b"DATA":
                    reply("354 end with <CRLF>.<CRLF>")
                    await writer.drain()
                    while (await reader.readline()) not in (b".\r\n", b""):
                        pass
                    self.received += 1
                    reply("250 accepted")
                elif verb == b"QUIT":
                    reply("221 bye")
                    break
                else:  # HELO, MAIL, RCPT, RSET, NOOP
                    reply("250 ok")
                await writer.drain()
            await writer.drain()
        finally:
            writer.close()
