"""The one colour palette of every RD plot (``msp plot`` and the app's live plot).

Paul Tol's "muted" qualitative scheme, designed to stay distinguishable with colour-vision
deficiencies and in greyscale print, plus black: ten colours, one per codec of the catalogue
(:class:`~codec.baselines.base.CatalogueEntry` names its colour from here). Line style carries
the kind: learned codecs solid, classic (hybrid) codecs dashed.
"""

from __future__ import annotations

__all__ = ["PALETTE"]

PALETTE: dict[str, str] = {
    "indigo": "#332288",
    "cyan": "#88CCEE",
    "teal": "#44AA99",
    "green": "#117733",
    "olive": "#999933",
    "sand": "#DDCC77",
    "rose": "#CC6677",
    "wine": "#882255",
    "purple": "#AA4499",
    "black": "#000000",
}
