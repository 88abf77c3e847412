"""Hostile text cannot change the structure of the Markdown pomgate builds (checked by parsing it)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from pomgate.escaping import code_block, code_span, html_text, markdown_text
from pomgate.github.markdown import details, link, table

HOSTILE = [
    "```",
    "````\n</details>\n```",
    "</details><details><summary>x",
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "[click](javascript:alert(1))",
    "![img](https://evil.test/x.png)",
    "https://evil.test/phish",
    "@octocat please merge",
    "#123 closes #456",
    "| a | b |\n| --- | --- |",
    "a\\|b",
    "`` ` ``",
    "~~~\nfence",
    "# heading\n- list",
    "\u202eevil\u202c bidi",
    "line1\r\nline2",
    "&lt;b&gt; &amp;",
    "<!-- comment -->",
    "\\",
    "",
]

INVISIBLE = re.compile("[\u202a-\u202e\u2066-\u2069\u200b-\u200f\u2028\u2029\ufeff]")
PARSER = MarkdownIt("commonmark", {"html": True}).enable("table").enable("strikethrough")


def document(text: str) -> str:
    return "\n\n".join(
        [
            table(["Plain", "Code"], [[markdown_text(text), code_span(text)]]),
            details(html_text(text), code_block(text)),
            f"Prose {markdown_text(text)} end.",
            "FINAL PARAGRAPH",
        ]
    )


def check_structure(text: str) -> None:
    tokens = PARSER.parse(document(text))
    types = [t.type for t in tokens]
    assert types.count("table_open") == 1
    assert types.count("tr_open") == 2  # header + one row
    assert types.count("td_open") == 2 and types.count("th_open") == 2
    blocks = [t.content.strip() for t in tokens if t.type == "html_block"]
    assert len(blocks) == 2 and blocks[0].startswith("<details><summary>") and blocks[1] == "</details>"
    assert "<" not in blocks[0][len("<details><summary>") : -len("</summary>")]
    assert types.count("fence") == 1
    fence = next(t for t in tokens if t.type == "fence")
    expected = INVISIBLE.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    assert fence.content.rstrip("\n") == expected.rstrip("\n")
    last = [t for t in tokens if t.type == "inline"][-1]
    assert last.content == "FINAL PARAGRAPH"
    for token in tokens:
        for child in token.children or []:
            assert child.type not in ("html_inline", "link_open", "image"), (child.type, text)
            if child.type == "text":
                assert not re.search(r"[@#][\w-]", child.content), child.content
                assert not re.search(r"(?i)(https?|javascript):", child.content), child.content


def test_hostile_strings_keep_the_structure() -> None:
    for text in HOSTILE:
        check_structure(text)


@settings(max_examples=300, deadline=None)
@given(
    text=st.lists(
        st.sampled_from([*"`~|<>[]()!@#*_\\-\n\r &;:/.ab1", "\u202e", "details", "```", "https:", "<!--"]),
        max_size=25,
    ).map("".join)
)
def test_random_text_keeps_the_structure(text: str) -> None:
    check_structure(text)


def test_code_span_keeps_the_text_in_a_table_cell() -> None:
    tokens = PARSER.parse(table(["x"], [[code_span("a`b``c|d")]]))
    code = [c for t in tokens for c in (t.children or []) if c.type == "code_inline"]
    assert [c.content for c in code] == ["a`b``c|d"]


def test_links_only_to_https_urls_we_build() -> None:
    built = link("k8s/a.yaml:3", "https://github.com/o/r/blob/abc/k8s/a.yaml#L3")
    assert built == "[k8s/a.yaml:3](https://github.com/o/r/blob/abc/k8s/a.yaml#L3)"
    assert "](" not in link("x", "javascript:alert(1)")
    tokens = PARSER.parse(link("a)b", "https://x.test/p(1)"))
    assert [c.attrs.get("href") for t in tokens for c in (t.children or []) if c.type == "link_open"] == [
        "https://x.test/p%281%29"
    ]
