"""The Python module `facet` as a user imports it (run against the installed module by
tests/install/install_test.sh): round trips, edits, inspection, threads, and bad input."""
import threading

import numpy as np
import pytest

import facet


def photo(h=96, w=128, seed=0):
    """A smooth colour image with some texture (uint8, H x W x 3)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([127 + 100 * np.sin(x / 9.0 + c) * np.cos(y / 13.0) for c in range(3)], axis=-1)
    return np.clip(base + rng.normal(0, 6, base.shape), 0, 255).astype(np.uint8)


def psnr(a, b):
    mse = np.mean((a.astype(float) - b.astype(float)) ** 2)
    return 99.0 if mse == 0 else 10 * np.log10(255.0**2 / mse)


def test_version():
    assert facet.__version__.count(".") == 2


@pytest.mark.parametrize("shape", [(96, 128), (96, 128, 1), (96, 128, 3), (96, 128, 4)])
def test_round_trip(shape):
    rgb = photo()
    if len(shape) == 2:
        pixels = rgb[:, :, 0].copy()
    elif shape[2] == 1:
        pixels = rgb[:, :, :1].copy()
    elif shape[2] == 3:
        pixels = rgb
    else:
        pixels = np.dstack([rgb, np.full(rgb.shape[:2], 200, np.uint8)])
    data = facet.compress(pixels, quality=80, threads=2)
    assert isinstance(data, bytes) and data[:4] == b"\x89FCT"
    out = facet.decompress(data, threads=2)
    assert out.dtype == np.uint8
    expected = (96, 128) if len(shape) == 2 or shape[2] == 1 else shape
    assert out.shape == expected
    assert psnr(pixels.reshape(out.shape)[..., :3], out[..., :3]) > 22
    if len(shape) == 3 and shape[2] == 4:
        assert np.all(out[..., 3] == 200)  # alpha is lossless


def test_same_bytes_for_any_thread_count_and_strided_input():
    pixels = photo()
    one = facet.compress(pixels, quality=50, threads=1)
    two = facet.compress(pixels, quality=50, threads=2)
    assert one == two
    padded = np.zeros((96, 140, 3), np.uint8)
    padded[:, :128] = pixels
    assert facet.compress(padded[:, :128], quality=50) == one  # a non-contiguous view
    assert np.array_equal(facet.decompress(one, threads=1), facet.decompress(one, threads=2))


def test_inspect_edit_and_drop():
    data = facet.compress(photo(), quality=60)
    info = facet.inspect(data)
    assert (info["width"], info["height"], info["channels"]) == (128, 96, 3)
    assert info["quality"] == pytest.approx(60)
    names = [f["name"] for f in info["factors"]]
    assert names[:2] == ["hyper", "structure.0"] and "chroma" in names and "exposure" in names
    exposure = next(f for f in info["factors"] if f["name"] == "exposure")
    brighter = facet.edit(data, set={"exposure": "+0.5"})
    after = next(f for f in facet.inspect(brighter)["factors"] if f["name"] == "exposure")
    assert after["value"] == pytest.approx(exposure["value"] + 0.5, abs=1 / 256)
    assert facet.decompress(brighter).mean() > facet.decompress(data).mean()
    thin = facet.edit(data, drop=["chroma"])
    assert len(thin) < len(data)
    assert "chroma" not in [f["name"] for f in facet.inspect(thin)["factors"]]
    gray = facet.decompress(thin)
    assert np.array_equal(gray[..., 0], gray[..., 1]) and np.array_equal(gray[..., 1], gray[..., 2])
    assert np.array_equal(facet.decompress(data, drop=["chroma"]), gray)


def test_two_threads_code_at_once():
    images = [photo(seed=s) for s in range(2)]
    alone = [facet.compress(im, quality=40) for im in images]
    results = [None, None]

    def work(k):
        for _ in range(3):
            results[k] = facet.compress(images[k], quality=40)
            assert facet.decompress(results[k]).shape == images[k].shape

    threads = [threading.Thread(target=work, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == alone


def test_bad_input_raises():
    data = facet.compress(photo(), quality=40)
    with pytest.raises(facet.Error) as truncated:
        facet.decompress(data[: len(data) // 2])
    assert truncated.value.status in ("truncated", "corrupt", "checksum-mismatch")
    damaged = bytearray(data)
    damaged[len(damaged) // 2] ^= 0x40
    with pytest.raises(facet.Error):
        facet.decompress(bytes(damaged))
    with pytest.raises(facet.Error):
        facet.decompress(b"not a facet file")
    with pytest.raises(facet.Error):
        facet.edit(data, drop=["no-such-factor"])
    with pytest.raises(TypeError):
        facet.compress(photo().astype(np.float32))
    with pytest.raises(ValueError):
        facet.compress(np.zeros((4, 4, 5), np.uint8))
    with pytest.raises(ValueError):
        facet.compress(np.zeros((2, 3, 4, 3), np.uint8))
    with pytest.raises(facet.Error) as missing:
        facet.Model("/nonexistent/model.safetensors")
    assert missing.value.status == "io"
    with pytest.raises(facet.Error) as effort:
        facet.compress(photo(), effort=3)
    assert effort.value.status == "unsupported"


def test_model_object():
    model = facet.Model()
    assert model.id.startswith("facet-photo")
    data = facet.compress(photo(), quality=30, model=model)
    assert data == facet.compress(photo(), quality=30)
    assert facet.decompress(data, model=model).shape == (96, 128, 3)
