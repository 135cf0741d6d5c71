"""Card payments through Stripe PaymentIntents and Stripe.js."""
