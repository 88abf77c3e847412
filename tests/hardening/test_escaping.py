"""`pomgate.escaping`, destination by destination, read back the way each consumer reads it.

Workflow commands are unescaped as the Actions runner does, GITHUB_OUTPUT records are parsed as the
runner parses the file, HTML blocks are rendered by a CommonMark parser and their elements listed,
and terminal lines are split at every line break the runner knows.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from pomgate.escaping import (
    github_output,
    html_code,
    html_text,
    terminal_line,
    terminal_text,
    workflow_command_data,
    workflow_command_property,
)
from pomgate.github.markdown import details
from tests.hardening.test_diff_artifact import read_github_output

HOSTILE = [
    "\n::error file=a.yaml::pwned",
    "  ::warning::indented",
    "\u3000::notice::ideographic space",
    "x\r::error::after a carriage return",
    "##[set-output name=risky;]false",
    "\x1b]0;title\x07\x1b[2J\x1b[31mred",
    "\x9b31m 8-bit CSI, \x85 next line",
    "\u202egnp.exe\u2066 \u2028 \u2029",
    "100% %0A %25 a:b, c",
    "</summary></details><img src=x onerror=alert(1)><a href=javascript:alert(1)>x</a>",
    "line\n\nblank line ends an HTML block",
    "@octocat #1 https://evil.example",
]
TEXT = st.lists(
    st.sampled_from([*"\n\r\t :,%#[]<>/@=", "::", "##[", "\x1b", "\x07", "\x9b", "\u202e", "\u2028", "a", "error"]),
    max_size=30,
).map("".join)
CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def runner_lines(text: str) -> list[str]:
    """How the Actions runner splits output into lines."""
    return re.split(r"\r\n|\r|\n", text)


def is_command(line: str) -> bool:
    """Whether the runner would read ``line`` as a workflow command (`::` after whitespace, `##[` anywhere)."""
    return line.lstrip().startswith("::") or "##[" in line


# ---------------------------------------------------------------- terminals and CI logs


@pytest.mark.parametrize("text", HOSTILE)
def test_terminal_line_is_one_inert_line(text: str) -> None:
    line = terminal_line(text)
    assert len(runner_lines(line)) == 1 and not is_command(line)
    assert not CONTROL.search(line)


@settings(max_examples=300, deadline=None)
@given(text=TEXT)
def test_terminal_text_keeps_lines_but_none_is_a_command(text: str) -> None:
    shown = terminal_text(text)
    assert shown.count("\n") == text.count("\n")
    assert not any(is_command(line) for line in runner_lines(shown))
    assert not CONTROL.search(shown.replace("\n", ""))


def test_terminal_text_leaves_ordinary_text_alone_and_shows_the_rest_readably() -> None:
    ordinary = "  + https://a.example.com prefix /x -> http://web:80 (Ingress apps/a)\ttab ok: 1::2"
    assert terminal_line(ordinary) == ordinary
    assert terminal_line("::error::x") == "\\x3a:error::x"
    assert terminal_line("a\x1b[2Jb\nc") == "a\\x1b[2Jb\\x0ac"
    assert terminal_line("\u202eevil") == "\\u202eevil"


# ---------------------------------------------------------------- workflow commands


def runner_unescape(text: str, *, property_value: bool) -> str:
    """The runner's ActionCommand.UnescapeData / UnescapeProperty, in its order."""
    pairs = [("%0D", "\r"), ("%0A", "\n")]
    if property_value:
        pairs += [("%3A", ":"), ("%2C", ",")]
    for escaped, char in [*pairs, ("%25", "%")]:
        text = text.replace(escaped, char)
    return text


@settings(max_examples=300, deadline=None)
@given(text=TEXT)
def test_workflow_command_values_stay_in_their_place_and_read_back(text: str) -> None:
    data, prop = workflow_command_data(text), workflow_command_property(text)
    assert not re.search(r"[\r\n]", data + prop) and not re.search(r"[:,]", prop)
    assert runner_unescape(data, property_value=False) == text
    assert runner_unescape(prop, property_value=True) == text


# ---------------------------------------------------------------- GITHUB_OUTPUT


@settings(max_examples=300, deadline=None)
@given(value=st.lists(st.sampled_from(["1", "\n", "\r", "risky=true", "pomgate_", "<<", "EOF", "="]), max_size=12))
def test_an_output_value_cannot_set_another_output(value: list[str]) -> None:
    text = "".join(value)
    records = github_output("added", text) + github_output("risky", "false")
    assert read_github_output(records) == {"added": text, "risky": "false"}


@pytest.mark.parametrize("name", ["", "a=b", "a<<b", "a\nb", "1a"])
def test_output_names_are_plain(name: str) -> None:
    with pytest.raises(ValueError, match="not an output name"):
        github_output(name, "x")


# ---------------------------------------------------------------- text inside an HTML block


class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text += data


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(st.sampled_from(HOSTILE), TEXT))
def test_html_text_in_a_summary_is_text(text: str) -> None:
    markdown = details(f"{html_text(text)} {html_code(text)}", "body") + "\n\nAFTER"
    elements = Elements()
    elements.feed(MarkdownIt("commonmark", {"html": True}).render(markdown))
    assert elements.tags == ["details", "summary", "code", "p", "p"]  # ours only: the body and AFTER
    unshown = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]"
    visible = " ".join(re.sub(unshown, "", text).split())  # the text on one line, what cannot be seen dropped
    assert elements.text.replace("\u2060", "").startswith(f"{visible} {visible}")
