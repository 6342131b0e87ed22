"""Rank-adaptive DLRT (Schotthöfer et al., "Low-rank lottery tickets", NeurIPS 2022) in PyTorch.

Our own implementation of the paper's algorithm, for timing against the Swift library on the same
work. Network 784-500-500-500-500-10 (ReLU); the four hidden layers are low-rank W = U S Vᵀ
(U out×r, V in×r, orthonormal columns; forward x ↦ U(S(Vᵀx)) + b), the output layer is dense.

One training step per mini-batch = three forward/backward passes:
  1. K-step: K = U₀S₀ (V₀ fixed), K ← K − lr∇K; biases and the dense layer take their SGD step
     here. Û = first r̂ columns of qr([K, U₀]).
  2. L-step: L = V₀S₀ᵀ (U₀ fixed), L ← L − lr∇L. V̂ = first r̂ columns of qr([L, V₀]).
  3. S-step in the augmented bases: Ŝ = (ÛᵀU₀) S₀ (V̂ᵀV₀)ᵀ, Ŝ ← Ŝ − lr∇Ŝ, then SVD Ŝ = P Σ Qᵀ
     truncated to the smallest r₁ with ‖σ[r₁:]‖₂ ≤ τ‖σ‖₂ (and r₁ ≤ max rank):
     U ← Û P[:, :r₁], V ← V̂ Q[:, :r₁], S ← diag(σ[:r₁]).
The augmented rank is r̂ = min(2r, in, out, 2·max rank).
(The reference implementations step the biases and the dense layer with the S-step instead, from
the S pass; that changes where an SGD update of the same size happens, not the work timed here.)

Timed: the training loop only (all three passes, QRs, SVDs and updates for every batch); the
shuffle and gather of the epoch happen before the clock starts and the test evaluation after it.
"""

from __future__ import annotations

import argparse
import math

import torch
import torch.nn.functional as F

import common


class LowRankLayer:
    """W = U S Vᵀ plus a bias. Plain tensors: each pass decides which factor is a leaf of autograd."""

    def __init__(self, n_in: int, n_out: int, rank: int, max_rank: int, generator: torch.Generator):
        if not 1 <= rank <= min(n_in, n_out):
            raise ValueError(f"rank {rank} for a {n_out}x{n_in} layer")
        self.n_in, self.n_out, self.max_rank = n_in, n_out, max(1, min(max_rank, n_in, n_out))
        # Same initialisation as the Swift library (LowRankNN.Layer.initialFactors): the best rank-r
        # approximation (truncated SVD) of a dense weight drawn like nn.Linear, U(−1/√in, 1/√in).
        bound = 1 / math.sqrt(n_in)
        dense = (torch.rand(n_out, n_in, generator=generator) * 2 - 1) * bound
        P, sigma, Qh = torch.linalg.svd(dense, full_matrices=False)
        self.U, self.S, self.V = P[:, :rank].contiguous(), torch.diag(sigma[:rank]), Qh[:rank].T.contiguous()
        bound = 1 / math.sqrt(n_in)
        self.b = (torch.rand(n_out, generator=generator) * 2 - 1) * bound

    @property
    def rank(self) -> int:
        return self.S.shape[0]

    def augmented_rank(self) -> int:
        return min(2 * self.rank, self.n_in, self.n_out, 2 * self.max_rank)


class DenseLayer:
    def __init__(self, n_in: int, n_out: int, generator: torch.Generator):
        bound = 1 / math.sqrt(n_in)  # nn.Linear default: U(−1/√in, 1/√in) for W and b
        self.W = (torch.rand(n_out, n_in, generator=generator) * 2 - 1) * bound
        self.b = (torch.rand(n_out, generator=generator) * 2 - 1) * bound


def forward(x: torch.Tensor, chains, biases, dense_w, dense_b) -> torch.Tensor:
    """Rows of x through the network; each hidden layer is x ↦ relu(x·M₁·M₂⋯ + b)."""
    h = x
    for chain, b in zip(chains, biases):
        for m in chain:
            h = h @ m
        h = torch.relu(h + b)
    return F.linear(h, dense_w, dense_b)


def truncation_rank(sigma: torch.Tensor, tau: float, max_rank: int) -> int:
    """Smallest r₁ ≥ 1 with sqrt(Σ_{j>r₁} σ_j²) ≤ τ‖σ‖₂, capped at max_rank (σ descending)."""
    sq = sigma.double() ** 2
    # tail[k] = sqrt(Σ_{j≥k} σ_j²) (0-based), tail[n] = 0: keeping k values leaves tail[k].
    tail = torch.cat([sq.flip(0).cumsum(0).flip(0), torch.zeros(1, dtype=sq.dtype)]).sqrt()
    threshold = tau * math.sqrt(sq.sum().item())
    ok = (tail[1:] <= threshold).nonzero()
    r1 = int(ok[0].item()) + 1 if ok.numel() else sigma.numel()
    return max(1, min(r1, max_rank))


class DLRTNetwork:
    def __init__(self, sizes, start_rank: int, max_rank: int, seed: int):
        g = torch.Generator().manual_seed(seed)
        pairs = list(zip(sizes[:-1], sizes[1:]))
        self.low = [LowRankLayer(i, o, min(start_rank, i, o), max_rank, g) for i, o in pairs[:-1]]
        self.dense = DenseLayer(*pairs[-1], g)

    def ranks(self) -> list[int]:
        return [l.rank for l in self.low]

    def parameters_count(self) -> int:
        n = self.dense.W.numel() + self.dense.b.numel()
        for l in self.low:
            n += l.U.numel() + l.S.numel() + l.V.numel() + l.b.numel()
        return n

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        chains = [(l.V, l.S.T, l.U.T) for l in self.low]
        return forward(x, chains, [l.b for l in self.low], self.dense.W, self.dense.b)

    def step(self, x: torch.Tensor, y: torch.Tensor, lr: float, tau: float) -> torch.Tensor:
        low, dense = self.low, self.dense
        biases = [l.b for l in low]

        # ---- pass 1: K-step (V₀ fixed); biases and the dense layer take their SGD step here
        Ks = [(l.U @ l.S).requires_grad_() for l in low]
        trained = biases + [dense.W, dense.b]
        for t in trained:
            t.requires_grad_()
        loss = F.cross_entropy(forward(x, [(l.V, K.T) for l, K in zip(low, Ks)], biases, dense.W, dense.b), y)
        grads = torch.autograd.grad(loss, Ks + trained)
        with torch.no_grad():
            Ks = [K.detach() - lr * g for K, g in zip(Ks, grads[:len(Ks)])]
            new = [t.detach() - lr * g for t, g in zip(trained, grads[len(Ks):])]
        for l, b in zip(low, new[:len(low)]):
            l.b = b
        dense.W, dense.b = new[-2], new[-1]
        biases = [l.b for l in low]

        # ---- pass 2: L-step (U₀ fixed), with the biases and dense layer as updated in pass 1
        Ls = [(l.V @ l.S.T).requires_grad_() for l in low]
        loss_l = F.cross_entropy(forward(x, [(L, l.U.T) for l, L in zip(low, Ls)], biases, dense.W, dense.b), y)
        grads = torch.autograd.grad(loss_l, Ls)
        with torch.no_grad():
            Ls = [L.detach() - lr * g for L, g in zip(Ls, grads)]

        # ---- new augmented bases and the coefficients of W₀ in them
        with torch.no_grad():
            U1s, V1s, S_hats = [], [], []
            for l, K, L in zip(low, Ks, Ls):
                ra = l.augmented_rank()
                U1 = torch.linalg.qr(torch.cat([K, l.U], dim=1))[0][:, :ra]
                V1 = torch.linalg.qr(torch.cat([L, l.V], dim=1))[0][:, :ra]
                U1s.append(U1)
                V1s.append(V1)
                S_hats.append((U1.T @ l.U) @ l.S @ (V1.T @ l.V).T)

        # ---- pass 3: S-step in the augmented bases, then truncation by SVD
        S_hats = [S.requires_grad_() for S in S_hats]
        loss_s = F.cross_entropy(
            forward(x, [(V1, S.T, U1.T) for U1, S, V1 in zip(U1s, S_hats, V1s)], biases, dense.W, dense.b), y)
        grads = torch.autograd.grad(loss_s, S_hats)
        with torch.no_grad():
            for l, U1, V1, S, g in zip(low, U1s, V1s, S_hats, grads):
                P, sigma, Qh = torch.linalg.svd(S.detach() - lr * g)
                r1 = truncation_rank(sigma, tau, l.max_rank)
                l.U = U1 @ P[:, :r1]
                l.V = V1 @ Qh[:r1].T
                l.S = torch.diag(sigma[:r1])
        return loss.detach()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common.add_common_args(parser)
    parser.add_argument("--tau", type=float, default=0.1,
                        help="relative truncation tolerance τ: drop the tail with ‖σ_tail‖ ≤ τ‖σ‖ (default 0.1)")
    parser.add_argument("--start-rank", type=int, default=150, help="initial rank of the low-rank layers (default 150)")
    parser.add_argument("--max-rank", type=int, default=250, help="largest rank kept by the truncation (default 250)")
    args = parser.parse_args()
    common.check_args(parser, args)
    if not (0 <= args.tau < 1) or args.start_rank < 1 or args.max_rank < 1:
        parser.error("need 0 <= --tau < 1, --start-rank >= 1, --max-rank >= 1")
    x_train, y_train, x_test, y_test = common.setup(args)
    info = common.print_header("dlrt_reference", args,
                               f", tau {args.tau}, start rank {args.start_rank}, max rank {args.max_rank}")

    net = DLRTNetwork(common.LAYER_SIZES, args.start_rank, args.max_rank, args.seed)
    print(f"  {'-'.join(map(str, common.LAYER_SIZES))}, hidden layers low-rank, ranks {net.ranks()}, "
          f"{net.parameters_count()} parameters")

    epochs = common.timed_epochs(
        args, x_train, y_train, lambda xb, yb: net.step(xb, yb, args.lr, args.tau),
        lambda: common.accuracy(net.logits, x_test, y_test),
        lambda: {"ranks": net.ranks(), "parameters": net.parameters_count()})

    common.write_json(args.json, {
        "script": "dlrt_reference", "machine": info,
        "configuration": {"layers": common.LAYER_SIZES, "low_rank_layers": [0, 1, 2, 3],
                          **common.run_configuration(args), "tau": args.tau,
                          "start_rank": args.start_rank, "max_rank": args.max_rank,
                          "passes_per_batch": 3, "dtype": "float32"},
        "epochs": epochs,
    })


if __name__ == "__main__":
    main()
