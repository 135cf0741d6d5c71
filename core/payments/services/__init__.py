"""Domain logic of payments: routing to gateways, webhooks, refunds, the ledger and payouts."""
