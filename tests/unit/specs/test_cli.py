"""`reconciler validate` and `reconciler schema` as a user runs them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.core.specs.schema import render_schema
from tests.unit.specs.support import FIXTURES, SAMPLE


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_validate_accepts_the_sample_with_a_one_line_summary() -> None:
    code, output = run("validate", str(SAMPLE))
    assert code == 0
    assert output == (
        f"{SAMPLE.as_posix()}: valid. 2 deployments (CameraFleetProd, CameraFleetStaging), "
        "1 component, 1 override.\n"
    )


def test_validate_defaults_to_deploy_specs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    shutil.copytree(SAMPLE, tmp_path / "deploy-specs")
    monkeypatch.chdir(tmp_path)
    code, output = run("validate")
    assert code == 0 and output.startswith("deploy-specs: valid.")


def test_validate_lists_every_problem_with_the_path_given_and_exits_1() -> None:
    root = FIXTURES / "field-errors"
    code, output = run("validate", str(root))
    expected = (FIXTURES / "field-errors.expected.txt").read_text(encoding="utf-8").splitlines()
    lines = output.splitlines()
    assert code == 1
    assert lines[: len(expected)] == [f"{root.as_posix()}/{line}" for line in expected]
    assert lines[-1] == f"{root.as_posix()}: {len(expected)} problems in 1 file."


def test_validate_json_lists_file_line_field_message() -> None:
    root = FIXTURES / "syntax-errors"
    code, output = run("validate", str(root), "--format", "json")
    rows = json.loads(output)
    assert code == 1
    assert rows[0] == {
        "file": f"{root.as_posix()}/a-list.yaml",
        "line": 1,
        "field": "",
        "message": "a spec document must be a mapping with apiVersion, kind, metadata and spec, "
        "not a list",
    }
    empty = {"file": f"{root.as_posix()}/empty.yaml", "line": None, "field": ""}
    assert empty.items() <= rows[2].items()


def test_validate_json_of_valid_specs_is_an_empty_list() -> None:
    assert run("validate", str(SAMPLE), "--format", "json") == (0, "[]\n")


def test_validate_of_a_missing_directory() -> None:
    code, output = run("validate", "no/such/dir")
    assert code == 1
    assert output.splitlines()[0] == "no/such/dir: the specs root 'no/such/dir' does not exist"


def test_validate_artifact_limit_option(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    root = tmp_path / "deploy-specs"
    shutil.copytree(SAMPLE, root)
    model = root / "overrides" / "models" / "DLR-resnet18-x86_64-cpu-ImageClassification.tar.gz"
    model.write_bytes(b"\0" * (3 * 1024 * 1024))
    assert run("validate", str(root))[0] == 0
    code, output = run("validate", str(root), "--max-artifact-mib", "2")
    assert code == 1 and "is 3.0 MiB, more than the limit of 2.0 MiB" in output
    monkeypatch.setenv("RECONCILER_MAX_ARTIFACT_MIB", "2")
    assert run("validate", str(root))[0] == 1


def test_validate_help_shows_an_example() -> None:
    code, output = run("validate", "--help")
    assert code == 0
    assert "reconciler validate deploy-specs --format json" in output


def test_schema_prints_the_committed_schema() -> None:
    code, output = run("schema")
    assert code == 0 and output == render_schema()


def test_schema_writes_a_file(tmp_path: Path) -> None:
    out = tmp_path / "schema.json"
    result = CliRunner().invoke(main, ["schema", "--out", str(out)])
    assert result.exit_code == 0
    assert out.read_text(encoding="utf-8") == render_schema()


@pytest.mark.parametrize("case", sorted(p.name for p in FIXTURES.iterdir() if p.is_dir()))
def test_no_fixture_makes_validate_print_a_traceback(case: str) -> None:
    result = CliRunner().invoke(main, ["validate", str(FIXTURES / case)])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
