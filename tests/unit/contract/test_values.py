"""The contract's spelling rules: one answer to "is this a whole number, a flag, a size"."""

from __future__ import annotations

import pytest

from contract.values import (
    MAX_TARGET_SIZES,
    SECURITY_GROUP_ID,
    SUBNET_ID,
    OutputFormat,
    encode_flag,
    encode_list,
    format_size,
    format_sizes,
    parse_flag,
    parse_id_list,
    parse_list,
    parse_output_format,
    parse_seconds,
    parse_target_size,
    parse_target_sizes,
    parse_whole_number,
)


@pytest.mark.parametrize("text", ["7", "007", "100000"])
def test_ascii_digits_are_a_whole_number(text: str) -> None:
    assert parse_whole_number(text, minimum=1) == int(text)


@pytest.mark.parametrize("text", ["+5", "-1", "1_000", " 5", "5 ", "2.5", "²", "٣", "", "ten"])
def test_anything_else_is_not(text: str) -> None:
    with pytest.raises(ValueError, match="expected a whole number of at least 1"):
        parse_whole_number(text, minimum=1)


def test_the_range_is_named_when_a_number_is_outside_it() -> None:
    with pytest.raises(ValueError, match=r"^expected a whole number from 1 to 100$"):
        parse_whole_number("101", minimum=1, maximum=100)
    assert parse_whole_number("100", minimum=1, maximum=100) == 100


@pytest.mark.parametrize(("text", "seconds"), [("20", 20.0), ("0", 0.0), ("0.5", 0.5)])
def test_seconds_are_a_number_of_zero_or_more(text: str, seconds: float) -> None:
    assert parse_seconds(text) == seconds


@pytest.mark.parametrize("text", ["-1", "soon", "inf", "nan", ""])
def test_anything_else_is_not_a_duration(text: str) -> None:
    with pytest.raises(ValueError, match="expected a number of seconds"):
        parse_seconds(text)


def test_flags_are_one_and_zero_both_ways() -> None:
    assert (encode_flag(True), encode_flag(False)) == ("1", "0")
    assert (parse_flag("1"), parse_flag("0")) == (True, False)
    for text in ("true", "yes", " 1", ""):
        with pytest.raises(ValueError, match="expected 1 or 0"):
            parse_flag(text)


def test_lists_are_comma_separated_with_blanks_dropped() -> None:
    assert encode_list(["a", "b"]) == "a,b"
    assert parse_list(" a , b ,,") == ("a", "b")


def test_id_lists_name_the_bad_id_and_the_limit() -> None:
    ids = "subnet-0123456789abcdef0,subnet-89abcdef"
    assert parse_id_list(ids, SUBNET_ID, "subnet", 16) == tuple(ids.split(","))
    with pytest.raises(ValueError, match="sg-1 is not a security group id"):
        parse_id_list("sg-1", SECURITY_GROUP_ID, "security group", 5)
    with pytest.raises(ValueError, match="1 to 2 comma-separated subnet ids"):
        parse_id_list("subnet-89abcdef," * 3, SUBNET_ID, "subnet", 2)


@pytest.mark.parametrize(("text", "size"), [("224x224", (224, 224)), (" 299X150 ", (299, 150))])
def test_sizes_parse_and_format_back(text: str, size: tuple[int, int]) -> None:
    assert parse_target_size(text) == size
    assert format_size(size) == f"{size[0]}x{size[1]}"


@pytest.mark.parametrize("text", ["0x224", "224", "224x", "x224", "+1x1", "16385x1", "2.5x3"])
def test_malformed_sizes_are_rejected(text: str) -> None:
    with pytest.raises(ValueError, match="is not a size: expected WxH"):
        parse_target_size(text)


def test_a_size_list_keeps_its_order_and_formats_back() -> None:
    sizes = parse_target_sizes(" 299X299 ,224x224")
    assert sizes == ((299, 299), (224, 224))
    assert format_sizes(sizes) == "299x299,224x224"
    assert parse_target_sizes("224x224") == ((224, 224),)


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("224x224,224X224", "lists 224x224 twice"),
        ("224x224,", "is not a size"),
        (",224x224", "is not a size"),
        ("224x224,,299x299", "is not a size"),
        ("224x224;299x299", "is not a size"),
        ("", "is not a size"),
        (
            ",".join(f"{n}x{n}" for n in range(1, MAX_TARGET_SIZES + 2)),
            f"at most {MAX_TARGET_SIZES}",
        ),
    ],
)
def test_bad_size_lists_say_what_is_wrong(text: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        parse_target_sizes(text)


def test_the_most_sizes_allowed_is_accepted() -> None:
    text = ",".join(f"{n}x{n}" for n in range(1, MAX_TARGET_SIZES + 1))
    assert len(parse_target_sizes(text)) == MAX_TARGET_SIZES


def test_output_formats_parse_and_an_unknown_one_lists_the_allowed() -> None:
    assert parse_output_format(" WebP ") is OutputFormat.WEBP
    with pytest.raises(ValueError, match="expected one of source, jpeg, png, webp"):
        parse_output_format("jpg")
