"""Evaluation: metrics, BD-rate, results files, reference curves, sweeps, runs and plots.

Modules (import the one you need; none imports Qt, and only MS-SSIM loads torch, lazily):

* :mod:`codec.eval.metrics`   PSNR-RGB, MS-SSIM-RGB, bpp, by CompressAI's conventions
* :mod:`codec.eval.bdrate`    Bjontegaard delta rate (PCHIP)
* :mod:`codec.eval.curves`    one rate-distortion curve, measured or published
* :mod:`codec.eval.results`   results in CompressAI's JSON schema, per image and dataset mean
* :mod:`codec.eval.reference` published curves shipped in codec/data/reference
* :mod:`codec.eval.sweep`     choosing quality settings that span 0.1..1.5 bpp
* :mod:`codec.eval.runner`    running codecs over a dataset
* :mod:`codec.eval.bdtable`   BD-rate table of many curves against an anchor
* :mod:`codec.eval.plot`      RD plots (PNG)
"""

__all__ = ["metrics", "bdrate", "curves", "results", "reference", "sweep", "runner", "bdtable", "plot"]
