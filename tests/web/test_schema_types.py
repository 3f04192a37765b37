"""The web app's declarations of the library's JSON schema (web/src/schema.ts) against real answers of a
running server: each answer is written into a TypeScript file as a value and assigned to its declared type,
and the TypeScript compiler checks it — a field renamed, dropped or retyped in the library fails here."""
import json
import subprocess

import pytest

from tests.server.client import Server
from tests.conftest import ROOT

TSC = ROOT / "web" / "node_modules" / ".bin" / "tsc"
TEXT = "The output shows the [MASK] values"

# (type in schema.ts, method, path, body)
ANSWERS = [
    ("ModelInfo", "GET", "/api/model", None),
    ("AnalyzeAnswer", "POST", "/api/analyze", {"text": TEXT, "pair": "and more"}),
    ("NeuronAnswer", "POST", "/api/neuron", {"text": TEXT, "layer": 1, "head": 2}),
    ("RolloutAnswer", "POST", "/api/rollout", {"text": TEXT, "flow": True}),
    ("NormsAnswer", "POST", "/api/norms", {"text": TEXT}),
    ("HeadMapAnswer", "POST", "/api/headmap", {"text": TEXT}),
    ("DiffAnswer", "POST", "/api/diff", {"text": TEXT, "mask": 2}),
    ("AblateAnswer", "POST", "/api/ablate", {"text": TEXT, "heads": "0:1,2:*", "ablation": "mean"}),
]


@pytest.fixture(scope="module")
def answers(attnscope, minilm_dir):
    out = {}
    with Server(attnscope.binary, minilm_dir) as s:
        for type_name, method, path, body in ANSWERS:
            status, answer = s.json(method, path, body) if body is not None else s.json(method, path)
            assert status == 200, f"{path}: {status} {answer}"
            out[type_name] = answer
    return out


def typecheck(answers, folder):
    lines = [f'import type * as schema from "{ROOT / "web" / "src" / "schema"}";']
    for i, (type_name, answer) in enumerate(answers.items()):
        # A variable first, then the typed one: the check is "has every declared field with its type",
        # not "has no field the page does not read".
        lines.append(f"const answer{i} = {json.dumps(answer)};")
        lines.append(f"export const typed{i}: schema.{type_name} = answer{i};")
    source = folder / "check.ts"
    source.write_text("\n".join(lines) + "\n")
    return subprocess.run([str(TSC), "--noEmit", "--strict", "--target", "es2020", "--moduleResolution", "node",
                           "--skipLibCheck", str(source)], capture_output=True, text=True, timeout=300)


def test_server_answers_match_the_web_apps_schema_types(answers, tmp_path):
    result = typecheck(answers, tmp_path)
    print(f"{len(answers)} answers type-checked against web/src/schema.ts: exit {result.returncode}")
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_drifted_answer_fails_the_check(answers, tmp_path):
    drifted = json.loads(json.dumps(answers))
    drifted["RolloutAnswer"]["shape"] = [drifted["RolloutAnswer"].pop("layers"), 1, 1]  # the pre-schema field
    drifted["AblateAnswer"]["hidden_state_change"] = "not an array"
    result = typecheck(drifted, tmp_path)
    print(result.stdout.strip())
    assert result.returncode != 0
    assert "layers" in result.stdout and "hidden_state_change" in result.stdout
