"""Built-in calendar provider plugins (loaded through the ``peerlearn.plugins`` entry points)."""
