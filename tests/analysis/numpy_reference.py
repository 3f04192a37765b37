"""Direct numpy transcriptions of the published formulas (docs/analyses.md), written independently of the
C++ code, for the analysis tests to compare against."""
import numpy as np


def token_classes(tokens, type_ids=None):
    n = len(tokens)
    cls = np.array([t == "[CLS]" for t in tokens])
    sep = np.array([t == "[SEP]" for t in tokens])
    punct = np.array([t in (".", ",") for t in tokens])
    seg = np.array(type_ids if type_ids is not None else [0] * n)
    return cls, sep, punct, cls | sep, seg


def clark_entropy(a):
    n = a.shape[-1]
    s = 0.9999 * a + 0.0001 / n
    return float(np.mean(-(s * np.log(s)).sum(-1)))


def statistics(a, tokens, type_ids=None):
    """One head's statistics, one input: the formulas of Clark et al. and successors."""
    n = a.shape[0]
    cls, sep, punct, special, _ = token_classes(tokens, type_ids)
    out = {}
    out["to_cls"] = a[:, cls].sum() / n
    out["to_sep"] = a[:, sep].sum() / n
    out["to_punct"] = a[:, punct].sum() / n
    out["to_self"] = np.trace(a) / n
    out["to_next"] = (a * np.eye(n, n, 1)).sum() / n
    out["to_prev"] = (a * np.eye(n, n, -1)).sum() / n
    out["sep_to_sep"] = a[np.ix_(sep, sep)].sum() / max(sep.sum(), 1)
    out["other_to_sep"] = a[np.ix_(~sep, sep)].sum() / max((~sep).sum(), 1)
    out["entropy"] = clark_entropy(a)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(a > 0, a * np.log(np.where(a > 0, a, 1)), 0.0)
    out["entropy_raw"] = float(np.mean(-plogp.sum(-1)))
    row0 = int(np.argmax(cls)) if cls.any() else 0
    s0 = 0.9999 * a[row0] + 0.0001 / n
    out["cls_entropy"] = float(-(s0 * np.log(s0)).sum())
    out["confidence"] = a[~special].max(-1).mean() if (~special).any() else 0.0
    idx = np.arange(n)
    out["distance"] = (a * np.abs(idx[:, None] - idx[None, :])).sum() / n
    spans = []
    for row in a:
        c = np.cumsum(np.sort(row)[::-1])
        spans.append(int(np.searchsorted(c, 0.9 - 1e-12) + 1))
    out["top_p_span"] = float(np.mean(spans))
    out["sink_mass"] = out["to_cls"] + out["to_sep"] + out["to_punct"]
    return {k: float(v) for k, v in out.items()}


def pattern(a, tokens, type_ids=None, w=1):
    """Kovaleva features and the rule of docs/analyses.md."""
    n = a.shape[0]
    _, _, _, special, seg = token_classes(tokens, type_ids)
    rows = [i for i in range(n) if not special[i]]
    pair = bool((seg == 1).any())
    idx = np.arange(n)
    V = np.mean([a[i, special].sum() for i in rows])
    Dg = np.mean([a[i, (~special) & (np.abs(idx - i) <= w)].sum() for i in rows])
    bk, r0 = [], []
    for i in rows:
        far = (~special) & (np.abs(idx - i) > w)
        own = far & (seg == seg[i])
        if pair and a[i, far].sum() > 0:
            bk.append(a[i, own].sum() / a[i, far].sum())
        r0.append(((~special) & (seg == seg[i])).sum() / (~special).sum())
    Bk = float(np.mean(bk)) if bk else 0.0
    R0 = float(np.mean(r0))
    if V >= 0.6 and Dg < 0.2:
        label = "vertical"
    elif Dg >= 0.5 and V < 0.3:
        label = "diagonal"
    elif V >= 0.2 and Dg >= 0.2 and V + Dg >= 0.6:
        label = "vertical+diagonal"
    elif pair and bk and Bk >= 0.85 and Bk - R0 >= 0.25:
        label = "block"
    else:
        label = "heterogeneous"
    return {"vertical": float(V), "diagonal": float(Dg), "block": Bk, "label": label}


def js_distance_matrix(att):
    """Clark's head_distances.py: Σ_i JS of the smoothed rows, for every pair of heads. att [L,H,n,n]."""
    L, H, n, _ = att.shape
    s = 0.999 * att.reshape(L * H, n, n).astype(np.float64) + 0.001 / n
    d = np.zeros((L * H, L * H))
    for a in range(L * H):
        m = 0.5 * (s[a][None] + s)
        js = 0.5 * (s[a][None] * np.log(s[a][None] / m)).sum(-1) + 0.5 * (s * np.log(s / m)).sum(-1)
        d[a] = js.sum(-1)
    return d


def rollout(att):
    L, H, n, _ = att.shape
    out = []
    r = None
    for l in range(L):
        a = att[l].astype(np.float64).mean(0) + np.eye(n)
        a = a / a.sum(-1, keepdims=True)
        r = a if r is None else a @ r
        out.append(r)
    return np.stack(out)


def flow(att, layer):
    """Abnar & Zuidema's attention flow with networkx max-flow (their code's approach)."""
    import networkx as nx

    L, H, n, _ = att.shape
    g = nx.DiGraph()
    for l in range(1, layer + 1):
        a = att[l - 1].astype(np.float64).mean(0) + np.eye(n)
        a = a / a.sum(-1, keepdims=True)
        for i in range(n):
            for j in range(n):
                g.add_edge((l, i), (l - 1, j), capacity=a[i, j])
    f = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            f[i, j] = nx.maximum_flow_value(g, (layer, i), (0, j))
        f[i] /= f[i].sum()
    return f


def head_norms(a, values, wo, special):
    """Kobayashi et al.: ‖f(x_j)‖ with f = v W_O^h; shares of the special tokens."""
    f = values.astype(np.float64) @ wo.astype(np.float64)  # [n, D]
    norms = np.linalg.norm(f, axis=-1)
    weighted = a * norms[None, :]
    att_share = a[:, special].sum(-1).mean()
    norm_share = (weighted[:, special].sum(-1) / weighted.sum(-1)).mean()
    return norms, float(att_share), float(norm_share)


def js(p, q):
    m = 0.5 * (p + q)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(p > 0, p * np.log(np.where(p > 0, p, 1) / np.where(m > 0, m, 1)), 0)
        b = np.where(q > 0, q * np.log(np.where(q > 0, q, 1) / np.where(m > 0, m, 1)), 0)
    return 0.5 * (a.sum() + b.sum())
