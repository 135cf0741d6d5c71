"""OpenAPI schema generation hooks."""


def only_public_api(endpoints):
    """Document /api/ only; Wagtail's admin API is internal to the admin."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/")]
