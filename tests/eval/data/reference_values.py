# Reference metric values for tests/eval/metrics_test.cpp, computed outside Facet's code.
#
# The images (ImageMagick 6.9.11, Debian 12):
#   convert corpus/kodim23-crop.png -crop 176x176+96+72 +repage -strip a.png
#   convert a.png -quality 30 b.jpg && convert b.jpg -strip b.png
#   convert a.png -quality 75 c.jpg && convert c.jpg -strip c.png
# Run with Debian's python3-skimage / python3-numpy / python3-scipy: /usr/bin/python3 reference_values.py
#
# SSIM comes from scikit-image's structural_similarity (a published implementation). MS-SSIM is a
# line-by-line numpy port of pytorch_msssim's ms_ssim (valid Gaussian filtering, 2x2 average
# pooling, relu before the powers, per-channel values averaged); its scale-1 SSIM is checked
# against scikit-image's before the MS-SSIM values are printed.
import numpy as np
from scipy.ndimage import correlate1d
from skimage.io import imread
from skimage.metrics import structural_similarity

WEIGHTS = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333]


def gauss_1d(size=11, sigma=1.5):
    coords = np.arange(size, dtype=np.float64) - size // 2
    g = np.exp(-(coords ** 2) / (2 * sigma ** 2))
    return g / g.sum()


def filter_valid(x, win):
    n = len(win) // 2
    x = correlate1d(x, win, axis=0, mode="constant")[n:-n, :]
    return correlate1d(x, win, axis=1, mode="constant")[:, n:-n]


def ssim_cs(x, y, data_range=255.0, k1=0.01, k2=0.03):
    win = gauss_1d()
    c1, c2 = (k1 * data_range) ** 2, (k2 * data_range) ** 2
    mu1, mu2 = filter_valid(x, win), filter_valid(y, win)
    s11 = filter_valid(x * x, win) - mu1 * mu1
    s22 = filter_valid(y * y, win) - mu2 * mu2
    s12 = filter_valid(x * y, win) - mu1 * mu2
    cs_map = (2 * s12 + c2) / (s11 + s22 + c2)
    ssim_map = ((2 * mu1 * mu2 + c1) / (mu1 ** 2 + mu2 ** 2 + c1)) * cs_map
    return ssim_map.mean(), cs_map.mean()


def avg_pool(x):
    h, w = x.shape[0] // 2 * 2, x.shape[1] // 2 * 2
    x = x[:h, :w]
    return 0.25 * (x[0::2, 0::2] + x[1::2, 0::2] + x[0::2, 1::2] + x[1::2, 1::2])


def ms_ssim_channel(x, y):
    values = []
    for level in range(5):
        s, cs = ssim_cs(x, y)
        if level < 4:
            values.append(max(cs, 0.0))
            x, y = avg_pool(x), avg_pool(y)
        else:
            values.append(max(s, 0.0))
    return float(np.prod([v ** w for v, w in zip(values, WEIGHTS)]))


a = imread("a.png").astype(np.float64)
for name in ["b", "c"]:
    b = imread(name + ".png").astype(np.float64)
    skimage_ssim = structural_similarity(a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                                         data_range=255, channel_axis=2)
    port_ssim = np.mean([ssim_cs(a[..., c], b[..., c])[0] for c in range(3)])
    assert abs(skimage_ssim - port_ssim) < 1e-12, (skimage_ssim, port_ssim)
    port_cs = np.mean([ssim_cs(a[..., c], b[..., c])[1] for c in range(3)])
    msssim = np.mean([ms_ssim_channel(a[..., c], b[..., c]) for c in range(3)])
    print(f"{name}: skimage SSIM {skimage_ssim!r} scale-1 cs {port_cs!r} MS-SSIM {msssim!r}")
