"""``msp eval --workers``: worker processes share the cores and give the single-process results."""

from __future__ import annotations

import dataclasses
import os

import torch

from codec.baselines import get_codec
from codec.eval.runner import EvalOptions, cores_per_worker, evaluate_images, worker_pool


def test_cores_are_shared_out_over_the_workers(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(8)), raising=False)
    assert [cores_per_worker(n) for n in (1, 2, 3, 8, 16)] == [8, 4, 2, 1, 1]


def test_each_worker_runs_torch_on_its_share_of_the_cores(monkeypatch):
    # Without the cap, a spawned worker starts one torch thread per physical core (2 on 2 cores),
    # so two workers on 2 cores ran 4 threads.
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.delenv("MKL_NUM_THREADS", raising=False)
    share = cores_per_worker(2)
    with worker_pool(2) as pool:
        threads = {pool.submit(torch.get_num_threads).result() for _ in range(4)}
    assert threads and max(threads) <= share


def test_workers_give_the_single_process_results(make_image):
    images = [(f"img{i}.png", make_image(48, 64, seed=i)) for i in range(2)]
    codecs = [get_codec("jpeg")]
    options = EvalOptions(qualities=(0.3, 0.7), progress=False, ms_ssim=False, perceptual=False)
    alone = evaluate_images(codecs, images, dataset="set", options=options)
    pooled = evaluate_images(codecs, images, dataset="set", options=dataclasses.replace(options, workers=2))
    for one, two in zip(alone.codecs[0].images, pooled.codecs[0].images, strict=True):
        assert [(p.num_bytes, p.psnr_rgb) for p in one.points] == [(p.num_bytes, p.psnr_rgb) for p in two.points]
    assert any("2 worker processes" in note for note in pooled.notes)

