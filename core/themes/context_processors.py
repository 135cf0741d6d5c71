from .registry import active_theme


def theme(request) -> dict:
    name = active_theme.get()
    return {"theme_name": name, "theme_static": f"themes/{name}/"}
