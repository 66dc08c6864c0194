"""appx is a Laravel application: errors are Laravel's JSON bodies."""

from sandbox.core.laravel import render_error as render

__all__ = ["render"]
