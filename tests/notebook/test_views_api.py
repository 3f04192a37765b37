"""attnscope.head_view / model_view / heatmap / stats_view on the installed package: BertViz's arguments,
one-line errors for bad input, the output bundle (html with the static picture, image/png, text/plain), the
8-bit copy's rounding error, the sizes at 512 tokens."""
import base64
import json
import re
import struct
import zlib

import numpy as np
import pytest

from .conftest import softmax_layers

TOKENS = ["[CLS]", "the", "output", "shows", "values", "[SEP]"]


def png_size(data: bytes):
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def payload_of(html: str):
    m = re.search(r'<script type="application/json" class="attnscope-data">(.*?)</script>', html, re.S)
    assert m, "no payload in the html"
    return json.loads(m.group(1))


def codes_of(p):
    raw = zlib.decompress(base64.b64decode(p["data"]))
    return np.frombuffer(raw, np.uint8).reshape(p["shape"])


def test_head_view_bundle_carries_picture_and_payload(attnscope_pkg):
    att = softmax_layers()
    v = attnscope_pkg.head_view(att, TOKENS, html_action="return")
    b = v._repr_mimebundle_()
    assert set(b) == {"text/html", "image/png", "text/plain"}
    w, h = png_size(base64.b64decode(b["image/png"]))
    print(f"head view picture {w}x{h}, html {len(b['text/html'])} bytes")
    assert w >= 300 and h >= 6 * 6
    html = b["text/html"]
    assert 'class="attnscope-static"' in html and "data:image/png;base64," in html
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html, "the output references the network"
    p = payload_of(html)
    assert p["shape"] == [3, 4, 6, 6] and p["encoding"]["tokens"] == TOKENS
    assert p["encoding"]["special_tokens_mask"] == [1, 0, 0, 0, 0, 1]
    stacked = np.stack([a[0] for a in att])
    err = np.abs(codes_of(p) / 255.0 - stacked).max()
    print(f"8-bit copy: largest rounding error {err:.3e} (stated {p['max_error']:.3e})")
    assert err <= 0.5 / 255 + 1e-7 and abs(err - p["max_error"]) < 1e-6
    assert v.text() in b["text/plain"]


def test_bertviz_arguments_select_layers_heads_and_initial_state(attnscope_pkg):
    att = softmax_layers(L=4, H=6)
    v = attnscope_pkg.model_view(att, TOKENS, include_layers=[1, 3], include_heads=[0, 2, 5], html_action="return")
    p = payload_of(v.html())
    assert p["layers"] == [1, 3] and p["heads"] == [0, 2, 5] and p["shape"] == [2, 3, 6, 6]
    expect = np.stack([att[l][0][[0, 2, 5]] for l in (1, 3)])
    assert np.abs(codes_of(p) / 255.0 - expect).max() <= 0.5 / 255 + 1e-7
    hv = attnscope_pkg.head_view(att, TOKENS, layer=2, heads=[1, 4], html_action="return")
    st = payload_of(hv.html())["state"]
    assert st["layer"] == 2 and st["heads"] == [1, 4]


def test_torch_tensors_and_causal_maps(attnscope_pkg):
    torch = pytest.importorskip("torch")
    att = tuple(torch.from_numpy(a) for a in softmax_layers(causal=True))
    v = attnscope_pkg.head_view(att, TOKENS, html_action="return")
    assert v.attention.causal
    assert "causal" in v._caption()
    assert not attnscope_pkg.head_view(softmax_layers(), TOKENS, html_action="return").attention.causal


BAD = [
    (lambda a: (a[:2] + (a[2][:, :3],)), TOKENS, {}, ValueError, "ragged: layer 2 has 3 heads"),
    (lambda a: a, TOKENS[:-1], {}, ValueError, "tokens has 5 entries but the attention is over 6 tokens"),
    (lambda a: a, "the output", {}, TypeError, "tokens must be a list of strings"),
    (lambda a: a, TOKENS[:-1] + [7], {}, TypeError, "tokens must be a list of strings, found int"),
    (lambda a: tuple(np.where(np.arange(6) == 2, np.nan, x) for x in a), TOKENS, {}, ValueError, "NaN at layer 0, head 0, query 0, key 2"),
    (lambda a: tuple(np.concatenate([x, x]) for x in a), TOKENS, {}, ValueError, "batch of 2"),
    (lambda a: tuple(x[0, 0] for x in a), TOKENS, {}, ValueError, "expected [1, heads, n, n]"),
    (lambda a: tuple(x[..., :5] for x in a), TOKENS, {}, ValueError, "last two dimensions"),
    (lambda a: (), TOKENS, {}, ValueError, "attention is empty"),
    (lambda a: "attention", TOKENS, {}, TypeError, "must be a numpy array or torch tensor"),
    (lambda a: tuple(x * 3 for x in a), TOKENS, {}, ValueError, "probabilities in [0, 1]"),
    (lambda a: tuple(x.astype(object) for x in a), TOKENS, {}, TypeError, "dtype object"),
    (lambda a: a, TOKENS, {"include_layers": [0, 7]}, ValueError, "include_layers has layer 7"),
    (lambda a: a, TOKENS, {"include_heads": [1, 1]}, ValueError, "lists head 1 twice"),
    (lambda a: a, TOKENS, {"include_layers": []}, ValueError, "include_layers is empty"),
    (lambda a: a, TOKENS, {"layer": 2, "include_layers": [0, 1]}, ValueError, "layer 2 is not among the shown layers"),
    (lambda a: a, TOKENS, {"sentence_b_start": 6}, ValueError, "sentence_b_start is 6"),
    (lambda a: a, TOKENS, {"sentence_b_start": "3"}, TypeError, "sentence_b_start must be an integer"),
    (lambda a: a, TOKENS, {"html_action": "show"}, ValueError, 'html_action must be "view" or "return"'),
]


@pytest.mark.parametrize("make, tokens, kw, exc, message", BAD, ids=[b[4][:40] for b in BAD])
def test_bad_input_raises_one_clear_line(attnscope_pkg, make, tokens, kw, exc, message):
    kw.setdefault("html_action", "return")
    with pytest.raises(exc) as info:
        attnscope_pkg.head_view(make(softmax_layers()), tokens, **kw)
    text = str(info.value)
    print(f"{exc.__name__}: {text}")
    assert message in text and "\n" not in text


def test_model_output_views_use_the_library_encoding(attnscope_pkg, minilm):
    out = minilm("The output shows the attention values", "It was not amused.")
    v = attnscope_pkg.head_view(out, html_action="return")
    p = payload_of(v.html())
    enc = out.encodings[0]
    assert p["encoding"]["tokens"] == list(enc.tokens)
    assert p["encoding"]["sentence_b_start"] == enc.sentence_b_start == 8
    assert p["encoding"]["special_tokens_mask"] == list(enc.special_tokens_mask)
    att = np.asarray(out.attentions[0])
    assert np.abs(codes_of(p)[0] / 255.0 - att[0]).max() <= 0.5 / 255 + 1e-7
    s = attnscope_pkg.stats_view(out, stat="entropy", html_action="return")
    sp = payload_of(s.html())
    assert len(sp["stats"]["heads"]) == 6 * 12 and sp["view"] == "stats"
    png_size(s.png)
    with pytest.raises(ValueError, match="stat must be one of"):
        attnscope_pkg.stats_view(out, stat="nope", html_action="return")
    h = attnscope_pkg.heatmap(out, layer=5, head=11, html_action="return")
    assert payload_of(h.html())["layers"] == [5] and payload_of(h.html())["heads"] == [11]


def test_svg_and_save(attnscope_pkg, tmp_path):
    v = attnscope_pkg.model_view(softmax_layers(), TOKENS, html_action="return")
    assert v.svg.startswith(b"<?xml") and b"<svg" in v.svg
    for name in ("v.html", "v.png", "v.svg"):
        v.save(str(tmp_path / name))
        assert (tmp_path / name).stat().st_size > 1000
    with pytest.raises(ValueError, match="should end in .html, .png or .svg"):
        v.save(str(tmp_path / "v.txt"))


def test_512_tokens_stay_compact(attnscope_pkg, minilm):
    text = " ".join(["attention"] * 600)
    out = minilm(text, truncation=True, max_length=512)
    att = np.asarray(out.attentions[0])
    n = att.shape[-1]
    assert n == 512
    v = attnscope_pkg.head_view(out, html_action="return")
    html = v.html()
    full = 6 * 12 * n * n * 4
    print(f"512 tokens, 6 x 12 heads: float32 {full / 1e6:.1f} MB -> output html {len(html) / 1e6:.2f} MB, png {len(v.png) / 1e6:.2f} MB")
    assert len(html) < full / 4


def test_neuron_view_embeds_one_heads_vectors_exactly(attnscope_pkg, minilm):
    out = minilm("The output shows the attention values", output_qkv=True, output_scores=True)
    v = attnscope_pkg.neuron_view(out, layer=2, head=5, token=3, html_action="return")
    p = payload_of(v.html())
    w = p["neuron"]
    assert (w["layer"], w["head"], w["n"]) == (2, 5, 8) and p["layers"] == [2] and p["heads"] == [5]
    q = np.frombuffer(base64.b64decode(w["queries_b64"]), "<f4").reshape(w["n"], w["head_dim"])
    ref = attnscope_pkg.neuron(out, 2, 5)["queries"]
    assert np.array_equal(q, ref)
    png_size(v.png)
    with pytest.raises(ValueError, match="output_qkv=True"):
        attnscope_pkg.neuron_view(minilm("hi"), 0, 0, html_action="return")
    with pytest.raises(ValueError, match="token 9 is out of range"):
        attnscope_pkg.neuron_view(out, 0, 0, token=9, html_action="return")


def test_atlas_embeds_the_librarys_answers_and_draws_them(attnscope_pkg, minilm):
    out = minilm("The output shows the attention values")
    v = attnscope_pkg.atlas(out, html_action="return")
    p = payload_of(v.html())
    assert p["view"] == "atlas" and "atlas" in p["views"] and p["stats"]["heads"]
    e = p["atlas"]
    # The head map and the norms are the library's documents as they are; rollout/flow are [CLS]'s rows.
    hm = attnscope_pkg.head_map(out)
    assert e["head_map"]["heads"] == hm["heads"] and e["head_map"]["stress"] == hm["stress"]
    assert len(e["head_map"]["heads"]) == 6 * 12
    assert e["norms"]["heads"] == attnscope_pkg.head_norms(out)["heads"]
    ro = e["rollout"]
    cls = np.frombuffer(base64.b64decode(ro["rollout_cls_b64"]), "<f4")
    flow = np.frombuffer(base64.b64decode(ro["flow_cls_b64"]), "<f4")
    assert np.array_equal(cls, attnscope_pkg.attention_rollout(out)[-1, 0])
    assert np.array_equal(flow, attnscope_pkg.attention_flow(out)[0])
    print(f"atlas: {len(v.html()) / 1e3:.0f} kB html, png {len(v.png) / 1e3:.0f} kB, stress {hm['stress']:.3g}, "
          f"rollout->[CLS] sums to {cls.sum():.6f}")
    w, h = png_size(v.png)
    assert w > 600 and h > 600  # the grids and the head map
    assert v.svg.startswith(b"<?xml")
    with pytest.raises(TypeError, match="atlas needs the output of an attnscope model"):
        attnscope_pkg.atlas(out.attentions, html_action="return")


def test_atlas_past_the_flow_limit_sends_rollout_only(attnscope_pkg, minilm):
    out = minilm(" ".join(["attention"] * 80))
    p = payload_of(attnscope_pkg.atlas(out, html_action="return").html())
    assert p["atlas"]["rollout"]["n"] == 82 and "flow_cls_b64" not in p["atlas"]["rollout"]
    assert len(base64.b64decode(p["atlas"]["rollout"]["rollout_cls_b64"])) == 82 * 4


def test_explore_answers_the_atlas_from_the_kernel(attnscope_pkg, minilm):
    w = attnscope_pkg.explore(minilm, "The output shows the attention values")
    out = minilm("The output shows the attention values")
    assert w.answer("statistics", {}) == attnscope_pkg.head_statistics(out)
    assert w.answer("head_map", {})["heads"] == attnscope_pkg.head_map(out)["heads"]
    assert "flow_cls_b64" in w.answer("rollout", {"flow": True}) and "flow_cls_b64" not in w.answer("rollout", {})
    ab = w.answer("ablate", {"heads": "0:1,2:*", "ablation": "zero"})
    assert ab["encoding"]["tokens"][:2] == ["[CLS]", "the"] and len(ab["hidden_state_change"]) == 8
    assert np.array_equal(ab["hidden_state_change"], attnscope_pkg.ablate(minilm, w.text, "0:1,2:*")["hidden_state_change"])
    diff = w.answer("diff", {"replace": 2, "token": "dog"})
    ref = attnscope_pkg.counterfactual(minilm, w.text, replace=(2, "dog"))
    assert diff == ref and len(diff["heads"]) == 72
    # Each request is answered with its id: a result, or the library's one-line error — never an exception.
    sent = []
    w.send = lambda content, buffers=None: sent.append(content)
    w._on_msg(w, {"id": 7, "view": "v1", "kind": "ablate", "body": {"heads": "9:0"}}, [])
    w._on_msg(w, {"id": 8, "view": "v1", "kind": "nonsense", "body": {}}, [])
    w._on_msg(w, {"id": 9, "view": "v2", "kind": "head_map", "body": {}}, [])
    w._on_msg(w, {"id": 10, "view": "v1", "kind": "diff", "body": ["not", "an", "object"]}, [])
    w._on_msg(w, {"id": 11, "view": "v1", "kind": "diff", "body": {"replace": "x"}}, [])
    assert [(m["id"], m["view"]) for m in sent] == [(7, "v1"), (8, "v1"), (9, "v2"), (10, "v1"), (11, "v1")]
    assert sent[3]["error"] == "a request's body must be an object, got list", sent[3]
    assert "error" in sent[4] and "\n" not in sent[4]["error"], sent[4]
    assert "error" in sent[0] and "\n" not in sent[0]["error"] and "9" in sent[0]["error"], sent[0]
    assert sent[1]["error"] == "unknown request 'nonsense'"
    assert "result" in sent[2] and json.dumps(sent[2]["result"])  # JSON-able: it crosses the widget channel
    print(f"explore ablate error: {sent[0]['error']}")


def test_explore_gives_the_exact_values_behind_its_8_bit_copy(attnscope_pkg, minilm):
    """What the user reads in the live widget (a head-detail readout, a head-view hover) comes exact from
    the kernel: one head or one layer, float32 bit for bit the model's, for the input on screen only."""
    w = attnscope_pkg.explore(minilm, "The output shows the attention values")
    out = minilm("The output shows the attention values")
    seq = w.meta["seq"]
    head = np.frombuffer(base64.b64decode(w.answer("values", {"layer": 2, "head": 5, "seq": seq})), "<f4")
    assert np.array_equal(head.reshape(8, 8), out.attentions[2][0, 5])
    layer = np.frombuffer(base64.b64decode(w.answer("values", {"layer": 4, "head": None, "seq": seq})), "<f4")
    assert np.array_equal(layer.reshape(12, 8, 8), out.attentions[4][0])
    codes = np.frombuffer(w.att, np.uint8).reshape(6, 12, 8, 8)
    print(f"explore: the 8-bit copy is within {np.abs(codes[2, 5] / 255 - head.reshape(8, 8)).max():.2g} "
          f"(stated {w.meta['max_error']:.2g}); the exact values are fetched on demand")
    for body, message in [({"layer": 6, "head": 0, "seq": seq}, "'layer' must be an index 0..5"),
                          ({"layer": 0, "head": 12, "seq": seq}, "'head' must be an index 0..11 or null"),
                          ({"layer": 0, "head": 0, "seq": seq - 1}, "the input changed")]:
        with pytest.raises(ValueError, match=message):
            w.answer("values", body)


def test_the_renderer_keeps_the_packages_error_type(attnscope_pkg, minilm):
    # Importing attnscope._render registers its own exception translator; the package's errors must stay
    # attnscope.Error afterwards (it once made every library error a plain ValueError).
    import attnscope._render as r

    with pytest.raises(attnscope_pkg.Error, match="format must be"):
        r.grid([[1.0]], [0], [0], "", False, fmt="gif")
    with pytest.raises(attnscope_pkg.Error, match="not valid UTF-8"):
        minilm(b"ab\xffc")
    with pytest.raises(attnscope_pkg.Error, match="longer than the model's maximum"):
        minilm(" ".join(["attention"] * 600))
