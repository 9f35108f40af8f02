#!/usr/bin/env python3
"""Measures every function in C++ sources and fails on any longer than the limit.

    function_length.py [--fail-over N] [--warn-over N] [--root DIR] PATH...

PATH is a file or a folder (searched for .cpp, .h, .hpp, .cc, relative to --root). A function is
a free function, a member function defined out of line or in a class body, or a lambda at
namespace scope; a lambda inside a function counts towards that function. Its length runs from
the line of its name to the line of its closing brace, both included.

Functions over --warn-over lines are printed as information; any over --fail-over lines are
printed as `file:line name length` on stderr and the exit status is 1.

The tokenizer skips comments, string literals (raw strings too), character literals and
preprocessor lines, and matches braces; it knows C++ well enough for this codebase, not all of C++.
"""

import argparse
import os
import re
import sys

SOURCE_SUFFIXES = (".cpp", ".cc", ".h", ".hpp")
STRING_PREFIXES = {"u8", "u", "U", "L", "R", "u8R", "uR", "UR", "LR"}
PUNCTUATORS = ("::", "->", "...", "<=>", "==", "!=", "<=", ">=", "&&", "||", "[[", "]]")
NOT_A_NAME = {"decltype", "alignas", "noexcept", "sizeof", "requires", "static_assert",
              "__attribute__", "alignof", "typeid", "explicit"}
TYPE_KEYWORDS = {"class", "struct", "union"}


class Token:
    __slots__ = ("kind", "text", "line")

    def __init__(self, kind, text, line):
        self.kind = kind  # "id", "num", "str", "punct"
        self.text = text
        self.line = line

    def __repr__(self):
        return f"{self.text}@{self.line}"


def _skip_quoted(src, i, quote, line):
    """Skips a "..." or '...' literal starting at src[i] == quote; returns (end, line)."""
    i += 1
    while i < len(src) and src[i] != quote:
        if src[i] == "\\":
            i += 1
        elif src[i] == "\n":
            line += 1
        i += 1
    return i + 1, line


def _skip_comment(src, i, line):
    """Skips the // or /* comment at src[i] (a // one up to its newline); returns (end, line)."""
    if src.startswith("//", i):
        end = src.find("\n", i)
        return (len(src) if end < 0 else end), line
    end = src.find("*/", i + 2)
    end = len(src) if end < 0 else end + 2
    return end, line + src.count("\n", i, end)


def tokenize(src):
    tokens = []
    i, line, n = 0, 1, len(src)
    at_line_start = True
    while i < n:
        c = src[i]
        if c == "\n":
            line += 1
            i += 1
            at_line_start = True
            continue
        if c in " \t\r\f\v":
            i += 1
            continue
        if c == "#" and at_line_start:  # a preprocessor line, with its continuations
            while i < n and src[i] != "\n":
                if src[i] == "\\" and i + 1 < n and src[i + 1] == "\n":
                    line += 1
                    i += 1
                elif src.startswith("/*", i) or src.startswith("//", i):
                    i, line = _skip_comment(src, i, line)
                    continue
                i += 1
            continue
        at_line_start = False
        if src.startswith("//", i) or src.startswith("/*", i):
            i, line = _skip_comment(src, i, line)
            continue
        if c.isalpha() or c == "_":
            j = i
            while j < n and (src[j].isalnum() or src[j] == "_"):
                j += 1
            word = src[i:j]
            if j < n and word in STRING_PREFIXES and src[j] in "\"'":
                start_line = line
                if word.endswith("R") and src[j] == '"':
                    paren = src.index("(", j)
                    delim = ")" + src[j + 1:paren] + '"'
                    end = src.index(delim, paren) + len(delim)
                    line += src.count("\n", j, end)
                    i = end
                else:
                    i, line = _skip_quoted(src, j, src[j], line)
                tokens.append(Token("str", word, start_line))
                continue
            tokens.append(Token("id", word, line))
            i = j
            continue
        if c.isdigit() or (c == "." and i + 1 < n and src[i + 1].isdigit()):
            j = i + 1
            while j < n and (src[j].isalnum() or src[j] in "_.'" or
                             (src[j] in "+-" and src[j - 1] in "eEpP")):
                j += 1
            tokens.append(Token("num", src[i:j], line))
            i = j
            continue
        if c in "\"'":
            start_line = line
            i, line = _skip_quoted(src, i, c, line)
            tokens.append(Token("str", c, start_line))
            continue
        for p in PUNCTUATORS:
            if src.startswith(p, i):
                tokens.append(Token("punct", p, line))
                i += len(p)
                break
        else:
            tokens.append(Token("punct", c, line))
            i += 1
    return tokens


class Function:
    __slots__ = ("name", "line", "end")

    def __init__(self, name, line, end):
        self.name, self.line, self.end = name, line, end

    @property
    def length(self):
        return self.end - self.line + 1


def _skip_template_header(head, k):
    """head[k] is `template`; returns the index after its <...>."""
    k += 1
    if k < len(head) and head[k].text == "<":
        depth = 0
        while k < len(head):
            t = head[k].text
            if t in ("<", "(", "["):
                depth += 1
            elif t in (">", ")", "]"):
                depth -= 1
            elif t == ">>":
                depth -= 2
            k += 1
            if depth <= 0:
                break
    return k


def _strip_head(head):
    """Drops template headers, attributes and access labels from the front of a declaration."""
    k = 0
    while k < len(head):
        t = head[k].text
        if t == "template":
            k = _skip_template_header(head, k)
        elif t == "[[":
            while k < len(head) and head[k].text != "]]":
                k += 1
            k += 1
        elif t in ("public", "private", "protected") and k + 1 < len(head) and \
                head[k + 1].text == ":":
            k += 2
        else:
            break
    return head[k:]


def _first_call_paren(head):
    """Index of the first depth-0 `(` that follows a name (the parameter list), or None."""
    depth = 0
    for k, tok in enumerate(head):
        t = tok.text
        if t == "(" and depth == 0 and k > 0:
            prev = head[k - 1]
            if (prev.kind == "id" and prev.text not in NOT_A_NAME) or \
                    (prev.kind == "punct" and prev.text not in ("(", "[", ",", "=")):
                return k
        if t in ("(", "["):
            depth += 1
        elif t in (")", "]"):
            depth -= 1
    return None


def _function_name(head, paren):
    """The qualified name before head[paren], with `operator` spelled out."""
    k = paren - 1
    # operator(), operator==, operator<< and conversion operators
    j = k
    while j >= 0 and j >= k - 3 and head[j].text != "operator":
        j -= 1
    if j >= 0 and head[j].text == "operator":
        name = "operator" + "".join(t.text for t in head[j + 1:paren])
        if name == "operator(" or (paren > 0 and head[paren - 1].text == "operator"):
            name = "operator()"
        k = j - 1
        parts = [name]
    else:
        parts = [head[k].text]
        k -= 1
    while k >= 1 and head[k].text == "::":
        parts.insert(0, "::")
        if head[k - 1].text == ">":  # Foo<T>::bar: skip the template arguments
            depth, m = 0, k - 1
            while m >= 0:
                if head[m].text == ">":
                    depth += 1
                elif head[m].text == "<":
                    depth -= 1
                    if depth == 0:
                        break
                m -= 1
            k = m
        parts.insert(0, head[k - 1].text)
        k -= 2
    if k >= 0 and head[k].text == "~":
        parts[0] = "~" + parts[0]
    name = "".join(parts)
    return name, head[paren - 1].line if parts else head[0].line


def _depth0_index(head, texts, stop=None):
    depth = 0
    for k, tok in enumerate(head):
        if stop is not None and k >= stop:
            break
        t = tok.text
        if t in ("(", "[", "{"):
            depth += 1
        elif t in (")", "]", "}"):
            depth -= 1
        elif depth == 0 and t in texts:
            return k
    return None


def _is_lambda_brace(tokens, i):
    """Whether tokens[i] == '{' opens a lambda body: walking back over balanced groups to the
    start of the expression lands on `[`."""
    k = i - 1
    saw_bracket = False
    while k >= 0:
        t = tokens[k].text
        if t in (")", "]", "}", ">"):
            close = t
            open_ = {")": "(", "]": "[", "}": "{", ">": "<"}[close]
            if close == "]":
                saw_bracket = True
            depth = 0
            while k >= 0:
                if tokens[k].text == close:
                    depth += 1
                elif tokens[k].text == open_:
                    depth -= 1
                    if depth == 0:
                        break
                k -= 1
            if close == "]" and (k == 0 or tokens[k - 1].text in
                                 ("(", ",", "=", "{", "return", ";", "?", ":", "[[") or
                                 tokens[k - 1].kind == "punct" and tokens[k - 1].text not in
                                 (")", "]", ">")):
                return True
            k -= 1
            continue
        if t in ("(", "{", ",", "=", ";", "return") or (t == "[" and not saw_bracket):
            return False
        if tokens[k].kind == "str":
            return False
        k -= 1
    return False


def find_functions(tokens):
    functions = []
    # scope: [kind, name, head_start, open_index, start_line, func_name]
    stack = [["ns", "", 0, -1, 0, ""]]
    i, n = 0, len(tokens)
    while i < n:
        tok = tokens[i]
        t = tok.text
        scope = stack[-1]
        kind = scope[0]
        if kind == "func":
            if t == "{":
                scope[2] += 1
            elif t == "}":
                scope[2] -= 1
                if scope[2] == 0:
                    functions.append(Function(scope[5], scope[4], tok.line))
                    stack.pop()
                    if stack[-1][0] in ("ns", "class"):
                        stack[-1][2] = i + 1
            i += 1
            continue
        if t == ";" and kind in ("ns", "class"):
            scope[2] = i + 1
        elif t == "}":
            stack.pop()
            if len(stack) == 0:  # unbalanced: give up on the rest
                return functions
            if stack[-1][0] in ("ns", "class"):
                stack[-1][2] = i + 1
        elif t == "{":
            opened = _classify_brace(tokens, i, stack)
            if opened == "skip":  # a member's brace initializer inside a ctor-initializer
                depth = 0
                while i < n:
                    if tokens[i].text == "{":
                        depth += 1
                    elif tokens[i].text == "}":
                        depth -= 1
                        if depth == 0:
                            break
                    i += 1
            else:
                stack.append(opened)
        i += 1
    return functions


def _qualify(stack, name):
    classes = [s[1] for s in stack if s[0] == "class" and s[1]]
    if classes and "::" not in name:
        return "::".join(classes + [name])
    return name


def _classify_brace(tokens, i, stack):
    scope = stack[-1]
    if scope[0] == "init":
        if _is_lambda_brace(tokens, i):
            return ["func", "", 1, i, tokens[i].line, _qualify(stack, "<lambda>")]
        return ["init", "", i + 1, i, tokens[i].line, ""]
    head = _strip_head(tokens[scope[2]:i])
    if not head:
        return ["init", "", i + 1, i, tokens[i].line, ""]
    first = head[0].text
    if first in ("namespace", "extern") or (first == "inline" and len(head) > 1 and
                                            head[1].text == "namespace"):
        return ["ns", "", i + 1, i, tokens[i].line, ""]
    if first in TYPE_KEYWORDS or (first == "typedef" and len(head) > 1 and
                                  head[1].text in TYPE_KEYWORDS):
        names = [tok.text for tok in head[1:] if tok.kind == "id" and
                 tok.text not in ("final", "alignas", "struct", "class", "union")]
        return ["class", names[0] if names else "", i + 1, i, tokens[i].line, ""]
    if first == "enum" or (first == "typedef" and len(head) > 1 and head[1].text == "enum"):
        return ["init", "", i + 1, i, tokens[i].line, ""]
    paren = _first_call_paren(head)
    assign = _depth0_index(head, ("=",), paren)
    if assign is not None:
        if _is_lambda_brace(tokens, i):
            name = head[assign - 1].text if assign > 0 else "<lambda>"
            return ["func", "", 1, i, head[assign - 1].line if assign > 0 else tokens[i].line,
                    _qualify(stack, name)]
        return ["init", "", i + 1, i, tokens[i].line, ""]
    if paren is None:
        return ["init", "", i + 1, i, tokens[i].line, ""]
    # A ctor-initializer's member brace (`: a_{x}`) comes after a name or template arguments.
    if _depth0_index(head[paren:], (":",)) is not None and head[-1].text not in \
            ("const", "override", "final", "noexcept", "mutable", ")", "}") and \
            (head[-1].kind == "id" or head[-1].text == ">"):
        return "skip"
    name, line = _function_name(head, paren)
    return ["func", "", 1, i, line, _qualify(stack, name)]


def source_files(root, paths, excludes):
    for p in paths:
        full = os.path.join(root, p)
        if os.path.isfile(full):
            yield p
            continue
        for dirpath, dirnames, filenames in os.walk(full):
            dirnames.sort()
            for f in sorted(filenames):
                rel = os.path.relpath(os.path.join(dirpath, f), root)
                if f.endswith(SOURCE_SUFFIXES) and not any(
                        rel == e or rel.startswith(e.rstrip("/") + "/") for e in excludes):
                    yield rel


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", default=".")
    parser.add_argument("--fail-over", type=int, default=120)
    parser.add_argument("--warn-over", type=int, default=60)
    parser.add_argument("--exclude", action="append", default=[],
                        help="a file or folder (relative to --root) not to measure")
    parser.add_argument("--all", action="store_true", help="list every function, longest first")
    parser.add_argument("paths", nargs="+")
    args = parser.parse_args(argv)

    measured = []
    for rel in source_files(args.root, args.paths, args.exclude):
        with open(os.path.join(args.root, rel), encoding="utf-8") as f:
            for fn in find_functions(tokenize(f.read())):
                measured.append((rel, fn))
    measured.sort(key=lambda m: (-m[1].length, m[0], m[1].line))

    def row(rel, fn):
        return f"{rel}:{fn.line} {fn.name} {fn.length}"

    if args.all:
        for rel, fn in measured:
            print(row(rel, fn))
        return 0
    too_long = [m for m in measured if m[1].length > args.fail_over]
    long_ = [m for m in measured if args.warn_over < m[1].length <= args.fail_over]
    print(f"function_length: {len(measured)} functions measured; {len(long_)} over "
          f"{args.warn_over} lines (information), {len(too_long)} over {args.fail_over} (error)")
    for rel, fn in long_:
        print(f"info: {row(rel, fn)}")
    for rel, fn in too_long:
        print(f"error: {row(rel, fn)} (over {args.fail_over} lines)", file=sys.stderr)
    return 1 if too_long else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
