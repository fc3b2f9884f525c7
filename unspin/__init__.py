"""unspin: restore the original wording of spun text.

``from unspin import restore, Restorer`` gives the whole pipeline; heavy dependencies
(torch, transformers) load only when a model is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Restorer", "Restoration", "Edit", "restore", "__version__"]

if TYPE_CHECKING:
    from unspin.restoring.edits import Edit, Restoration
    from unspin.restoring.pipeline import Restorer, restore


def __getattr__(name: str) -> Any:
    if name in ("Restorer", "restore"):
        from unspin.restoring import pipeline

        return getattr(pipeline, name)
    if name in ("Edit", "Restoration"):
        from unspin.restoring import edits

        return getattr(edits, name)
    raise AttributeError(name)
