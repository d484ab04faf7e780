import pytest

from tests.conftest import smooth_image


@pytest.fixture
def make_image():
    return smooth_image
