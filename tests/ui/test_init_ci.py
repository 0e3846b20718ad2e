"""``init-ci`` installs forensics-tui in CI the way it is installed here, never by a bare name."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from forensics_tui.cli.init_ci import InstallSpecError, install_spec_from
from forensics_tui.cli.main import cli

WORKFLOW = Path(".github/workflows/forensics.yml")


def test_vcs_install_is_pinned_to_its_commit(tmp_path: Path) -> None:
    direct = {
        "url": "https://github.com/acme/forensics-tui",
        "vcs_info": {"vcs": "git", "commit_id": "0123456789abcdef0123456789abcdef01234567"},
    }
    spec = install_spec_from(direct, "0.1.0", tmp_path)
    assert spec == (
        "forensics-tui @ git+https://github.com/acme/forensics-tui"
        "@0123456789abcdef0123456789abcdef01234567"
    )


def test_local_directory_inside_the_project_is_a_relative_path(tmp_path: Path) -> None:
    vendored = tmp_path / "vendor" / "forensics-tui"
    vendored.mkdir(parents=True)
    direct = {"url": vendored.as_uri(), "dir_info": {"editable": True}}
    assert install_spec_from(direct, "0.1.0", tmp_path) == "./vendor/forensics-tui"
    assert install_spec_from(None, "1.2.3", tmp_path) == "forensics-tui==1.2.3"
    with pytest.raises(InstallSpecError, match="--install-spec"):
        install_spec_from({"url": "file:///somewhere/else", "dir_info": {}}, "0.1.0", tmp_path)


def test_workflow_never_installs_an_unpinned_name(tmp_path: Path) -> None:
    runner = CliRunner()
    # this checkout is installed from a directory outside tmp_path: refused, clearly
    refused = runner.invoke(cli, ["init-ci", "--path", str(tmp_path)])
    assert refused.exit_code == 1 and "--install-spec" in refused.output
    assert not (tmp_path / WORKFLOW).exists()
    spec = "git+https://github.com/acme/forensics-tui@v0.1.0"
    done = runner.invoke(cli, ["init-ci", "--path", str(tmp_path), "--install-spec", spec])
    assert done.exit_code == 0, done.output
    workflow = (tmp_path / WORKFLOW).read_text(encoding="utf-8")
    assert f"pip install {spec} pytest" in workflow
    assert "pip install forensics-tui pytest" not in workflow
    bad = runner.invoke(
        cli, ["init-ci", "--path", str(tmp_path), "--force", "--install-spec", "x\n  run: evil"]
    )
    assert bad.exit_code == 2 and "not a pip requirement" in bad.output
