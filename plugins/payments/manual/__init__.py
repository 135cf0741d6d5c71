"""Invoice / bank transfer: the booking waits until an editor marks it paid."""
