"""Payments through Razorpay orders and Razorpay Checkout."""
