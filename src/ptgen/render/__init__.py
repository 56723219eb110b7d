"""Renderers: the shared layout (layout.py, richtext.py) and one module per output format."""
