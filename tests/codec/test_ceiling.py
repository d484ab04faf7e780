from PIL import Image

from codec.eval.ceiling import main, measure_ceiling


def test_coarser_quantisation_costs_more_below_the_transform_ceiling(tmp_path, make_image, capsys):
    Image.fromarray(make_image(64, 96, seed=5)).save(tmp_path / "a.png")
    low, high = measure_ceiling([tmp_path / "a.png"], [0.0, 1.0])
    assert 0 < low.bpp < high.bpp
    # Rounding a coarse latent loses more than rounding a fine one; the unquantised round trip
    # bounds both from above.
    assert low.quantisation_loss_db > high.quantisation_loss_db > -0.1
    assert low.coded_psnr < high.coded_psnr <= high.transform_psnr + 0.1
    assert main([str(tmp_path), "--images", "1", "--qualities", "0.5"]) == 0
    assert "transforms dB" in capsys.readouterr().out
