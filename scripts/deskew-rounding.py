#!/usr/bin/python3
"""What rounding deskewed images to uint8 costs in accuracy, against keeping them as floats.

mnistlr keeps deskewed images as uint8 (deskew.hpp), so the kernels and the memory layout stay as
they are. This script measures the price, outside mnistlr, with an independent deskew: SciPy's
affine_transform, order 1 (bilinear), with the matrix and offset of the moment-based deskew that
mnistlr implements (the same samples, before rounding).

  1. Training and test: the reference recipe (zeros, plain SGD lr 0.5, batch 64, 1000 steps over
     shuffled epochs, as ../shared/peers/seed_numpy.py), once on float32 deskewed pixels and once on
     the same pixels rounded to uint8, for each seed. Same batches for both.
  2. Inference only (with --mnistlr BIN): `mnistlr train --recipe best --seed S` (trained on
     mnistlr's own uint8 deskew), exported with `export --npy`, scored on the float and on the
     rounded test images.

usage: scripts/deskew-rounding.py MNIST_DIR [--mnistlr BIN] [--seeds 0 1 2]
Needs python3-numpy and python3-scipy (Debian). Takes about ten seconds.
"""
import argparse, json, os, subprocess, sys, tempfile

import numpy as np
from scipy.ndimage import affine_transform


def read_idx(path):
    buf = open(path, "rb").read()
    ndim = buf[3]
    dims = [int.from_bytes(buf[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(buf, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def deskew(images):
    """Float64 samples of out(r, c) = in(r + rbar - r0, c + cbar - c0 + alpha (r - r0)), bilinear."""
    n, rows, cols = images.shape
    rr, cc = np.mgrid[:rows, :cols]
    r0, c0 = (rows - 1) / 2, (cols - 1) / 2
    out = np.zeros((n, rows, cols))
    for i, img in enumerate(images):
        im = img.astype(np.float64)
        t = im.sum()
        if t == 0:
            continue
        rbar, cbar = (rr * im).sum() / t, (cc * im).sum() / t
        var = ((rr - rbar) ** 2 * im).sum() / t
        cov = ((rr - rbar) * (cc - cbar) * im).sum() / t
        alpha = cov / var if var > 0 else 0.0
        A = np.array([[1.0, 0.0], [alpha, 1.0]])
        offset = np.array([rbar, cbar]) - A @ np.array([r0, c0])
        out[i] = affine_transform(im, A, offset=offset, order=1, mode="constant", cval=0.0)
    return out


def train_reference(x, y, seed, steps=1000, batch=64, lr=0.5):
    rng = np.random.RandomState(seed)
    n = len(x)
    perm, pos = rng.permutation(n), 0
    W = np.zeros((x.shape[1], 10), np.float32)
    b = np.zeros(10, np.float32)
    eye = np.eye(10, dtype=np.float32)
    for _ in range(steps):
        if pos + batch <= n:
            idx = perm[pos:pos + batch]
            pos += batch
        else:
            rest = perm[pos:]
            perm = rng.permutation(n)
            k = batch - len(rest)
            idx, pos = np.concatenate([rest, perm[:k]]), k
        xb, yb = x[idx], eye[y[idx]]
        z = xb @ W + b
        z -= z.max(1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(1, keepdims=True)
        g = (p - yb) / np.float32(batch)
        W -= np.float32(lr) * (xb.T @ g)
        b -= np.float32(lr) * g.sum(0)
    return W, b


def accuracy(W, b, x, y):
    return float(((x @ W + b).argmax(1) == y).mean())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mnist_dir")
    ap.add_argument("--mnistlr", help="an mnistlr binary: also score its --recipe best models")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    a = ap.parse_args()
    d = a.mnist_dir
    xtr_raw = read_idx(os.path.join(d, "train-images-idx3-ubyte"))
    xte_raw = read_idx(os.path.join(d, "t10k-images-idx3-ubyte"))
    ytr = read_idx(os.path.join(d, "train-labels-idx1-ubyte")).astype(np.int64)
    yte = read_idx(os.path.join(d, "t10k-labels-idx1-ubyte")).astype(np.int64)
    print("deskewing 70000 images with scipy ...", file=sys.stderr)
    ftr, fte = deskew(xtr_raw), deskew(xte_raw)
    # Float inputs in [0, 1], and the same rounded to the nearest level as mnistlr rounds them.
    xtr_f = (ftr / 255).reshape(len(ftr), -1).astype(np.float32)
    xte_f = (fte / 255).reshape(len(fte), -1).astype(np.float32)
    xtr_u = (np.floor(ftr + 0.5) / 255).reshape(len(ftr), -1).astype(np.float32)
    xte_u = (np.floor(fte + 0.5) / 255).reshape(len(fte), -1).astype(np.float32)
    print(f"largest rounding error: {np.abs(xte_u - xte_f).max() * 255:.3f} levels")

    print("reference recipe, test accuracy (trained and tested on float / on uint8 deskewed pixels):")
    rows = []
    for s in a.seeds:
        Wf, bf = train_reference(xtr_f, ytr, s)
        Wu, bu = train_reference(xtr_u, ytr, s)
        af, au = accuracy(Wf, bf, xte_f, yte), accuracy(Wu, bu, xte_u, yte)
        rows.append((af, au))
        print(f"  seed {s}: float {af:.4f}  uint8 {au:.4f}  difference {au - af:+.4f}")
    mf, mu = np.mean([r[0] for r in rows]), np.mean([r[1] for r in rows])
    print(f"  mean:   float {mf:.4f}  uint8 {mu:.4f}  difference {mu - mf:+.4f}")

    if a.mnistlr:
        print("mnistlr --recipe best (trained on its uint8 deskew), test accuracy on float / uint8 test inputs:")
        with tempfile.TemporaryDirectory() as tmp:
            for s in a.seeds:
                w = os.path.join(tmp, f"best{s}.bin")
                subprocess.run([a.mnistlr, "train", "--data", d, "--recipe", "best", "--seed", str(s), "-o", w,
                                "--quiet"], check=True)
                npy = os.path.join(tmp, f"npy{s}")
                subprocess.run([a.mnistlr, "export", w, "--npy", npy], check=True, stdout=subprocess.DEVNULL)
                W = np.load(os.path.join(npy, "W.npy"))
                b = np.load(os.path.join(npy, "b.npy"))
                if W.shape[0] != 784:
                    W = W.T
                af, au = accuracy(W, b, xte_f, yte), accuracy(W, b, xte_u, yte)
                pf = (xte_f @ W + b).argmax(1)
                pu = (xte_u @ W + b).argmax(1)
                print(f"  seed {s}: float {af:.4f}  uint8 {au:.4f}  difference {au - af:+.4f}"
                      f"  ({int((pf != pu).sum())} of 10000 predictions differ)")


if __name__ == "__main__":
    main()
