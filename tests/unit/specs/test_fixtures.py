"""The broken-spec fixtures under tests/data/specs: each problem they hold is reported, all in one
run, as FILE:LINE: FIELD: MESSAGE (the expected lines are the cases' `.expected.txt`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.adapters.spec_files import load_spec_set
from reconciler.core.specs import InvalidSpecsError
from tests.unit.specs.support import FIXTURES

CASES = sorted(path.name for path in FIXTURES.iterdir() if path.is_dir())


def test_there_are_fixture_cases() -> None:
    assert len(CASES) >= 8


def without_parser_wording(line: str) -> str:
    # After "invalid YAML:" comes the wording of PyYAML or libyaml (whichever is installed), not
    # ours; where and that it is invalid YAML is what the fixtures pin.
    head, marker, _ = line.partition("invalid YAML:")
    return head + marker


@pytest.mark.parametrize("case", CASES)
def test_fixture_reports_exactly_the_expected_problems(case: str) -> None:
    expected = (FIXTURES / f"{case}.expected.txt").read_text(encoding="utf-8").splitlines()
    with pytest.raises(InvalidSpecsError) as raised:
        load_spec_set(FIXTURES / case)
    found = [problem.render() for problem in raised.value.problems]
    assert list(map(without_parser_wording, found)) == list(map(without_parser_wording, expected))


@pytest.mark.parametrize("case", CASES)
def test_every_problem_names_a_file_and_a_cause(case: str) -> None:
    with pytest.raises(InvalidSpecsError) as raised:
        load_spec_set(FIXTURES / case)
    for problem in raised.value.problems:
        assert problem.message
        if problem.file:  # only "no Settings document" concerns the root as a whole
            assert (FIXTURES / case / problem.file).is_file()
        if problem.line:
            lines = (FIXTURES / case / problem.file).read_bytes().count(b"\n") + 1
            assert 1 <= problem.line <= lines


def write_expected(case: str) -> None:  # pragma: no cover - run by hand after reviewing output
    with pytest.raises(InvalidSpecsError) as raised:
        load_spec_set(FIXTURES / case)
    lines = [problem.render() for problem in raised.value.problems]
    Path(FIXTURES / f"{case}.expected.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
