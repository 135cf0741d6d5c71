"""Model code shared by the product and the offline evaluation (``bench/analytics.py``).

Nothing here imports Django: every model is fitted from plain arrays or
sequences and serialises to a JSON-safe ``dict`` (stored compressed as the
model's blob), so a stored model can never execute code when it is loaded.
"""
