"""Domain logic of analytics: the event log, metrics, live tiles and the four predictions."""
