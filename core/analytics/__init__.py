"""Analytics: the event log, business metrics, the dashboards and the predictive models.

Other core apps write to the log with :func:`core.analytics.events.record`; the
predictions are served by :mod:`core.analytics.predictions`.
"""
