import pytest
from PIL import Image

from codec.eval.lof_variants import bd_rows, main, parse_variant, run_variants


def test_variant_settings_take_the_profile_fields_types():
    v = parse_variant("old=balanced,lof_proxy=noise,lof_learning_rate=0.03,lof_final_learning_rate=none,lof_iterations=6")
    assert (v.name, v.profile) == ("old", "balanced")
    assert dict(v.overrides) == {
        "lof_proxy": "noise", "lof_learning_rate": 0.03, "lof_final_learning_rate": None, "lof_iterations": 6,
    }
    assert dict(parse_variant("cheap=balanced,lof_proxy_channel_splits=16").overrides) == {"lof_proxy_channel_splits": (16,)}
    assert dict(parse_variant("two=balanced,lof_proxy_channel_splits=8+16").overrides) == {"lof_proxy_channel_splits": (8, 16)}
    for bad in ("old", "old=balanced,lof_proxy", "old=balanced,unknown=1", "old=balanced,schedule=x",
                "old=balanced,lof_proxy_channel_splits=8+x"):
        with pytest.raises(ValueError):
            parse_variant(bad)


def test_variants_report_true_costs_and_bd_rates(tmp_path, make_image, capsys):
    Image.fromarray(make_image(48, 64, seed=3)).save(tmp_path / "a.png")
    variants = [parse_variant("off=balanced,lof_iterations=0"), parse_variant("on=balanced,lof_iterations=4")]
    results = run_variants(variants, [tmp_path / "a.png"], [0.0, 0.33, 0.67, 1.0], log=lambda _s: None)
    off, on = (r.points["a.png"] for r in results)
    assert len(off) == len(on) == 4 and all(b > 0 and p > 10 for b, p in off + on)
    rows = {name: mean for name, _, mean in bd_rows(results, "off")}
    assert rows["off"] == pytest.approx(0.0, abs=1e-9)
    assert on != off  # LOF moved at least one point (its gain is what the tool measures)
    assert main([str(tmp_path), "--images", "1", "--variant", "off=fast"]) == 0
    assert "BD-rate (PSNR-RGB, true costs) against off" in capsys.readouterr().out
