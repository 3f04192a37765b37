"""The arrays are the engine's own memory (no copy on the way to Python, none to torch); stream() yields
every layer in order as it finishes, each the same memory as the final output; two Python threads calling
one model at once get exactly what each gets alone, and really run at the same time (GIL released)."""
import threading
import time

import numpy as np
import pytest

TEXT = "The output shows the attention values"


def _address(a):
    return a.__array_interface__["data"][0]


def test_attentions_are_the_buffer_the_engine_wrote(minilm):
    out = minilm([TEXT, "a shorter one"], output_hidden_states=True)
    block = out._blocks["attentions"]  # [B][L][H][n][n], allocated in C++ and owned by a capsule
    # Sequence 0's trace borrowed the block's first bytes: the engine wrote straight into it.
    assert out._blocks["_attentions_address"] == _address(block)
    assert not block.flags.owndata and block.base is not None  # the capsule owns it, numpy copied nothing
    for layer, a in enumerate(out.attentions):
        assert np.shares_memory(a, block) and a.base is block
        assert _address(a) == _address(block) + layer * block.strides[1]
    assert all(np.shares_memory(h, out._blocks["hidden_states"]) for h in out.hidden_states)


def test_torch_from_numpy_shares_the_memory(minilm):
    torch = pytest.importorskip("torch")
    out = minilm(TEXT)
    t = torch.from_numpy(out.attentions[2])
    assert t.data_ptr() == _address(out.attentions[2])
    assert t.shape == out.attentions[2].shape
    t[0, 0, 0, 0] = 42.0  # one memory: the write shows in the array
    assert out.attentions[2][0, 0, 0, 0] == 42.0


def test_arrays_outlive_the_model_and_output(attnscope_pkg, minilm_dir):
    model = attnscope_pkg.from_pretrained(str(minilm_dir))
    att = model(TEXT).attentions[-1]
    expected = att.copy()
    del model
    import gc

    gc.collect()
    np.testing.assert_array_equal(att, expected)


def test_stream_yields_layers_in_order_equal_to_the_output(minilm):
    stream = minilm.stream(TEXT, "and a pair")
    seen = []
    try:
        while True:
            layer, att = next(stream)
            assert att.shape[0] == 1 and att.shape[1] == 12
            assert np.isfinite(att).all() and np.allclose(att.sum(-1), 1, atol=1e-5)  # finished when yielded
            seen.append((layer, att.copy(), att))
    except StopIteration as stop:
        out = stop.value
    assert [layer for layer, _, _ in seen] == list(range(minilm.config.num_hidden_layers))
    plain = minilm(TEXT, "and a pair")
    for layer, copy, view in seen:
        np.testing.assert_array_equal(copy, plain.attentions[layer])
        assert np.shares_memory(view, out.attentions[layer])


def test_stream_of_a_batch_and_early_close(minilm):
    layers = [layer for layer, att in minilm.stream([TEXT, "x"])]
    assert layers == list(range(6))
    stream = minilm.stream(TEXT)
    assert next(stream)[0] == 0
    stream.close()  # stops the worker's forward; nothing is left running
    assert not [t for t in threading.enumerate() if t.name == "attnscope-stream"]


def test_stream_raises_the_forwards_error(minilm):
    with pytest.raises(ValueError, match="longer than the model's maximum"):
        list(minilm.stream(input_ids=[[101] + [1000] * 600 + [102]]))


def test_two_threads_on_one_model(minilm):
    texts = [TEXT, "Hello, my dog is cute and it likes to play fetch in the park every day"]
    alone = [minilm(t).attentions for t in texts]
    results, errors = {}, []

    def work(i):
        try:
            for _ in range(5):
                got = minilm(texts[i]).attentions
                for a, b in zip(got, alone[i]):
                    np.testing.assert_array_equal(a, b)
            results[i] = True
        except Exception as e:  # noqa: BLE001 — reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and results == {0: True, 1: True}


def test_forward_releases_the_gil(minilm):
    """While one thread runs a long forward, another thread runs Python code."""
    long_text = " ".join(["attention"] * 500)
    ticks = []
    done = threading.Event()

    def ticker():
        while not done.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    t = threading.Thread(target=ticker)
    t.start()
    start = time.perf_counter()
    for _ in range(3):
        minilm(long_text, threads=1)
    elapsed = time.perf_counter() - start
    done.set()
    t.join()
    during = [x for x in ticks if start <= x <= start + elapsed]
    print(f"3 forwards of 502 tokens: {elapsed * 1e3:.0f} ms, the other thread ran {len(during)} times")
    assert len(during) >= max(3, elapsed / 0.01)  # at least one tick per 10 ms of forward
