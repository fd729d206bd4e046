"""The account and region a plan reads ahead for come from the conventional Settings file,
checked as the Settings are; anything else gives no hint (and nothing is read ahead)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.adapters.spec_files import settings_hint
from reconciler.core.specs import SpecLimits


@pytest.fixture
def root(specs: Path) -> Path:
    return specs  # a private copy of the sample (tests/conftest.py)


def test_the_sample_settings_name_their_account_and_region(root: Path) -> None:
    assert settings_hint(root) == ("us-east-1", "123456789012")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("region: us-east-1", "region: evil.example.com/x"),  # not a region: no call goes there
        ('accountId: "123456789012"', "accountId: 123456789012"),  # a number, refused as such
        ("kind: Settings", "kind: Deployment"),
        ("region: us-east-1", "region: [us-east-1]"),
        ("region: us-east-1", "region: &r us-east-1\n  other: *r"),  # still read, still checked
    ],
)
def test_settings_the_loader_would_refuse_give_no_hint(root: Path, old: str, new: str) -> None:
    settings = root / "reconciler.yaml"
    text = settings.read_text()
    assert old in text
    settings.write_text(text.replace(old, new))
    hint = settings_hint(root)
    if "other: *r" in new:
        assert hint == ("us-east-1", "123456789012")
    else:
        assert hint is None


def test_an_unreadable_huge_linked_or_missing_file_gives_no_hint(root: Path) -> None:
    settings = root / "reconciler.yaml"
    limits = SpecLimits(max_document_bytes=100)
    assert settings_hint(root, limits) is None  # larger than the limit: not even read
    settings.write_bytes(b"\xff\xfe not utf-8")
    assert settings_hint(root) is None
    settings.unlink()
    settings.symlink_to(root / "groups" / "camera-prod.yaml")
    assert settings_hint(root) is None
    settings.unlink()
    assert settings_hint(root) is None
    assert settings_hint(root / "missing") is None
