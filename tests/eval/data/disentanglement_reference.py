# Reference values for tests/eval/disentanglement_test.cpp, computed with disentanglement_lib's
# formulas on scikit-learn (google-research/disentanglement_lib, evaluation/metrics/mig.py,
# sap_score.py, dci.py, factor_vae.py; the settings of its unsupervised study). Written for this
# test from those formulas, not copied; the data sets are made from splitmix64 integers so that the
# C++ test builds the same rows without a data file.
#
#   apt-get install python3-sklearn python3-numpy python3-scipy   # Debian 12: sklearn 1.2.1
#   /usr/bin/python3 tests/eval/data/disentanglement_reference.py
#
# It prints the values the test pins. Data sets A and B (and the values of MIG, continuous SAP and
# DCI) are the ones the test has pinned since the metrics were written; C and the FactorVAE sampler
# were added for the discrete SAP (LinearSVC) and the FactorVAE pruning rule.
import numpy as np
import scipy.stats
from sklearn import ensemble, metrics, svm

MASK = (1 << 64) - 1


def h(x):
    """splitmix64, as mix() in the C++ test."""
    z = (x + 0x9E3779B97F4A7C15) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def data_a():
    n = 500
    f = np.array([[h(1000000 + i) % 5, h(2000000 + i) % 3] for i in range(n)])
    c = np.array([[f[i, 0] + (h(3 * i) % 1000) / 700.0, f[i, 1] * 0.5 + (h(3 * i + 1) % 1000) / 1000.0,
                   (h(3 * i + 2) % 1000) / 7.0] for i in range(n)])
    return c, f


def data_b(begin, end):
    codes, factors = [], []
    for i in range(begin, end):
        x = [h(10 * i + j) % 16 for j in range(3)]
        f0 = int(x[0] >= 8) + int(x[1] >= 12)
        if h(10 * i + 5) % 7 == 0:
            f0 = h(10 * i + 6) % 3
        f1 = 1 if 2 * x[2] + x[0] >= 22 else 0
        if h(10 * i + 7) % 5 == 0:
            f1 = 1 - f1
        codes.append([float(v) for v in x])
        factors.append([f0, f1])
    return np.array(codes), np.array(factors)


def data_c(begin, end):
    """Codes on different scales, for the regularized linear SVM (C = 0.01) of discrete SAP."""
    codes, factors = [], []
    for i in range(begin, end):
        f = [h(4000000 + i) % 4, h(5000000 + i) % 8, h(6000000 + i) % 2]
        u = [(h(7000000 + 8 * i + j) % 1000) / 1000.0 - 0.5 for j in range(5)]
        codes.append([(f[0] - 1.5) + 1.2 * u[0],
                      0.3 * (f[1] - 3.5) + 0.8 * u[1],
                      2.0 * f[2] - 1.0 + 3.0 * u[2],
                      0.5 * (f[0] - 1.5) + 0.25 * (f[1] - 3.5) + u[3],
                      0.05 * (f[1] - 3.5) + 0.05 * u[4]])
        factors.append(f)
    return np.array(codes), np.array(factors)


def discretize(mus, bins):
    return np.array([np.digitize(m, np.histogram(m, bins)[1][:-1]) for m in mus])


def mig(codes, factors, bins):
    mus, ys = discretize(codes.T, bins), factors.T
    m = np.array([[metrics.mutual_info_score(y, mu) for y in ys] for mu in mus])
    entropy = np.array([metrics.mutual_info_score(y, y) for y in ys])
    top = np.sort(m, axis=0)[::-1]
    return m, entropy, np.mean((top[0] - top[1]) / entropy)


def sap(train_c, train_f, test_c, test_f, continuous):
    d, k = train_c.shape[1], train_f.shape[1]
    s = np.zeros((d, k))
    for i in range(d):
        for j in range(k):
            if continuous:
                cov = np.cov(train_c[:, i], train_f[:, j], ddof=1)
                s[i, j] = cov[0, 1] ** 2 / (cov[0, 0] * cov[1, 1]) if cov[0, 0] > 1e-12 else 0.0
            else:
                classifier = svm.LinearSVC(C=0.01, class_weight="balanced")
                classifier.fit(train_c[:, i:i + 1], train_f[:, j])
                s[i, j] = np.mean(classifier.predict(test_c[:, i:i + 1]) == test_f[:, j])
    top = np.sort(s, axis=0)[::-1]
    return s, np.mean(top[0] - top[1])


def dci(train_c, train_f, test_c, test_f):
    d, k = train_c.shape[1], train_f.shape[1]
    importance = np.zeros((d, k))
    train_acc, test_acc = [], []
    for j in range(k):
        model = ensemble.GradientBoostingClassifier(random_state=0).fit(train_c, train_f[:, j])
        importance[:, j] = np.abs(model.feature_importances_)
        train_acc.append(np.mean(model.predict(train_c) == train_f[:, j]))
        test_acc.append(np.mean(model.predict(test_c) == test_f[:, j]))
    per_code = 1.0 - scipy.stats.entropy(importance.T + 1e-11, base=k)
    code_weight = importance.sum(axis=1) / importance.sum()
    per_factor = 1.0 - scipy.stats.entropy(importance + 1e-11, base=d)
    factor_weight = importance.sum(axis=0) / importance.sum()
    return (importance, train_acc, test_acc, np.sum(per_code * code_weight),
            np.sum(per_factor * factor_weight))


# The FactorVAE sampler of the test: 3 factors of 10 values; 5 codes, one informative latent of std
# ~0.14 (pruned by a variance threshold of 0.05, kept by the study's std threshold of 0.05), one
# entangled, one of pure noise and one collapsed (std 0.01, pruned by both rules).
FACTOR_SIZES = [10, 10, 10]


def represent(factors, rng):
    g = (factors - 4.5) / 2.8722813232690143  # unit variance
    noise = rng.standard_normal((factors.shape[0], 5))
    return np.stack([0.08 * g[:, 0] + 0.12 * noise[:, 0],
                     g[:, 1] + 0.3 * noise[:, 1],
                     g[:, 2] + 0.5 * g[:, 1] + 0.3 * noise[:, 2],
                     noise[:, 3],
                     0.01 * noise[:, 4]], axis=1)


def factor_vae(rng, std_threshold, batch_size=64, num_train=10000, num_eval=5000, num_variance=10000):
    sample = lambda n: np.stack([rng.randint(s, size=n) for s in FACTOR_SIZES], axis=1)
    global_variances = np.var(represent(sample(num_variance), rng), axis=0, ddof=1)
    active = np.sqrt(global_variances) >= std_threshold

    def votes(count):
        v = np.zeros((len(FACTOR_SIZES), global_variances.shape[0]), dtype=np.int64)
        for _ in range(count):
            k = rng.randint(len(FACTOR_SIZES))
            f = sample(batch_size)
            f[:, k] = f[0, k]
            local = np.var(represent(f, rng), axis=0, ddof=1)
            v[k, np.argmin(local[active] / global_variances[active])] += 1
        return v

    train_votes = votes(num_train)
    eval_votes = votes(num_eval)
    classifier = np.argmax(train_votes, axis=0)
    columns = np.arange(train_votes.shape[1])
    return (int(active.sum()), np.sum(train_votes[classifier, columns]) / np.sum(train_votes),
            np.sum(eval_votes[classifier, columns]) / np.sum(eval_votes))


np.set_printoptions(precision=17)
c, f = data_a()
m, entropy, value = mig(c, f, 10)
print("A: MIG mutual info", m.ravel().tolist(), "entropy", entropy.tolist(), "MIG", value)
s, value = sap(c, f, c, f, True)
print("A: continuous SAP scores", s.ravel().tolist(), "SAP", value)
s, value = sap(c[:300], f[:300], c[300:], f[300:], False)
print("A: discrete SAP (train 0..299, test 300..499) scores", s.ravel().tolist(), "SAP", value)
train_c, train_f = data_b(0, 300)
test_c, test_f = data_b(300, 500)
importance, train_acc, test_acc, dis, comp = dci(train_c, train_f, test_c, test_f)
print("B: DCI importance", importance.ravel().tolist(), "train acc", train_acc, "test acc", test_acc,
      "disentanglement", dis, "completeness", comp)
train_c, train_f = data_c(0, 2000)
test_c, test_f = data_c(2000, 3000)
s, value = sap(train_c, train_f, test_c, test_f, False)
print("C: discrete SAP (train 0..1999, test 2000..2999) scores", s.ravel().tolist(), "SAP", value)
for threshold in [0.05, np.sqrt(0.05)]:
    scores = [factor_vae(np.random.RandomState(seed), threshold) for seed in range(3)]
    print(f"FactorVAE, std threshold {threshold:.4f}: (active dims, train, eval) per seed 0..2", scores)
