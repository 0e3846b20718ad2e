"""The ``python`` replay kind: only allowed modules, real subprocesses, timeouts, secrets."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path
from typing import Any

import pytest

from forensics_tui.core.reexec import ReexecPolicy, check, reexecute

from .conftest import all_bytes_under, make_fixture

MODULE = textwrap.dedent(
    """
    import os, time

    def add(a, b):
        print("noise on stdout must not break the result")
        return {"sum": a + b}

    def boom(reason):
        raise ValueError(reason)

    def slow():
        time.sleep(30)

    def whoami(token):
        # proves the secret arrived, without returning it
        return {"token_length": len(token), "matches": token == os.environ["EXPECTED"]}
    """
)


@pytest.fixture
def module_dir(tmp_path: Path) -> Path:
    where = tmp_path / "code"
    where.mkdir()
    (where / "reexec_sample_tools.py").write_text(MODULE)
    return where


def _policy(module_dir: Path, *modules: str, **kw: Any) -> ReexecPolicy:
    env = {**os.environ, "PYTHONPATH": str(module_dir), **kw.pop("env", {})}
    return ReexecPolicy(python_modules=modules, env=env, timeout_s=kw.pop("timeout_s", 20), **kw)


def _fixture(root: Path, target: str, input: Any) -> Path:
    return make_fixture(
        root / "fx", tool="py", input=input, replay={"kind": "python", "target": target}
    )


def _run(root: Path, path: Path, policy: ReexecPolicy) -> dict[str, Any]:
    result = reexecute(path, root=root / "fx", policy=policy, confirm=lambda r: True)
    assert result.new_path is not None, result.reason
    return json.loads(result.new_path.read_text())


def test_allowed_function_runs_with_the_recorded_input(tmp_path: Path, module_dir: Path) -> None:
    path = _fixture(tmp_path, "reexec_sample_tools:add", {"a": 2, "b": 3})
    new = _run(tmp_path, path, _policy(module_dir, "reexec_sample_tools"))
    assert new["status"] == "ok"
    assert new["output"] == {"sum": 5}


def test_exception_is_an_error_fixture(tmp_path: Path, module_dir: Path) -> None:
    path = _fixture(tmp_path, "reexec_sample_tools:boom", {"reason": "still broken"})
    new = _run(tmp_path, path, _policy(module_dir, "reexec_sample_tools"))
    assert new["status"] == "error"
    assert new["error"]["type"] == "ValueError"
    assert new["error"]["message"] == "still broken"


def test_timeout_kills_the_call(tmp_path: Path, module_dir: Path) -> None:
    path = _fixture(tmp_path, "reexec_sample_tools:slow", {})
    new = _run(tmp_path, path, _policy(module_dir, "reexec_sample_tools", timeout_s=1))
    assert new["status"] == "timeout"
    assert new["error"]["type"] == "TimeoutExpired"


@pytest.mark.parametrize(
    ("target", "allowed", "reason"),
    [
        ("os:system", ("reexec_sample_tools",), "'os' is not allowed"),
        ("subprocess:run", ("reexec_sample_tools",), "not allowed"),
        ("reexec_sample_tools:add", (), "not allowed"),
        ("reexec_sample_tools:_private", ("reexec_sample_tools",), "is not 'package.module"),
        ("reexec_sample_tools:add.__globals__", ("reexec_sample_tools",), "is not"),
        ("builtins:eval", ("reexec_sample_tools.*",), "not allowed"),
    ],
)
def test_refused_targets(
    tmp_path: Path, module_dir: Path, target: str, allowed: tuple[str, ...], reason: str
) -> None:
    path = _fixture(tmp_path, target, {"command": "touch pwned"})
    from forensics_tui.core.storage.loader import load_fixture

    fixture = load_fixture(path)
    refusal = check(fixture, _policy(module_dir, *allowed))  # type: ignore[arg-type]
    assert refusal is not None and reason in refusal
    assert not (Path.cwd() / "pwned").exists()


def test_package_wildcard(tmp_path: Path, module_dir: Path) -> None:
    pkg = module_dir / "samplepkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "tools.py").write_text("def hi(name):\n    return 'hi ' + name\n")
    path = _fixture(tmp_path, "samplepkg.tools:hi", {"name": "ops"})
    new = _run(tmp_path, path, _policy(module_dir, "samplepkg.*"))
    assert new["output"] == "hi ops"


def test_redacted_input_is_filled_from_the_environment(tmp_path: Path, module_dir: Path) -> None:
    secret = "py-secret-0d6b1c"
    path = _fixture(tmp_path, "reexec_sample_tools:whoami", {"token": "[REDACTED]"})
    env = {"FORENSICS_SECRET_TOKEN": secret, "EXPECTED": secret}
    new = _run(tmp_path, path, _policy(module_dir, "reexec_sample_tools", env=env))
    assert new["output"] == {"token_length": len(secret), "matches": True}
    assert secret.encode() not in all_bytes_under(tmp_path / "fx")


def test_python_targets_need_typed_confirmation(tmp_path: Path, module_dir: Path) -> None:
    path = _fixture(tmp_path, "reexec_sample_tools:add", {"a": 1, "b": 1})
    policy = _policy(module_dir, "reexec_sample_tools")
    result = reexecute(path, root=tmp_path / "fx", policy=policy, dry_run=True)
    assert result.request is not None and result.request.needs_typed_confirmation
    assert "reexec_sample_tools:add" in result.request.describe()
