"""Gift cards / vouchers: editor-issued codes with balances, paid at once at checkout.

A built-in example of an interactive, instant payment method
(:class:`core.plugins.InteractivePayments`). It is also a Django app (its cards
live in the database): add ``plugins.payments.giftcard`` to ``INSTALLED_APPS``.
"""
