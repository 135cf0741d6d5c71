"""Cross-cutting protections: the real client address, spreadsheet-safe CSV, Content-Security-Policy."""
