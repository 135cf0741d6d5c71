"""Operations: what a deployment needs to be watched (metrics, structured logs)."""
