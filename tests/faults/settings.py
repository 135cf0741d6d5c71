"""Settings of the processes a fault test starts: the test settings, mail written to files.

Each message is a file in ``PEERLEARN_FAULT_MAIL_DIR``, so the test can count
what was sent by processes it killed. ``PEERLEARN_FAULT_MAIL_DELAY`` (seconds)
makes each send take that long, so a kill lands in the middle of a batch.
"""

from peerlearn.settings.test import *  # noqa: F403
from peerlearn.settings.test import env

EMAIL_BACKEND = "tests.faults.mailbox.FileMailbox"
EMAIL_FILE_PATH = env("PEERLEARN_FAULT_MAIL_DIR", "/tmp/peerlearn-fault-mail")
# daphne: HTTP from the test's clients, WebSockets from its room peers.
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
