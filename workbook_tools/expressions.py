"""The formula language of the plan workbook: rules and indicators.

The officer writes rules (``ld_duoc_tt <= ld_tong``) and indicators
(``COUNT(thon: kh_xay_dung = "Có")``) in the plan workbook. This module reads
them without ever handing user text to Python: a tokenizer, a recursive-descent
parser to a small tree of frozen dataclasses, a static :func:`check` against
the plan's fields, constants and scopes, and two evaluators, one for a single
form (:func:`evaluate_row`) and one over the roster (:func:`evaluate_aggregate`).

Grammar, lowest precedence first::

    or_expr    := and_expr ("OR" and_expr)*
    and_expr   := not_expr ("AND" not_expr)*
    not_expr   := "NOT" not_expr | comparison
    comparison := additive [("=" | "<>" | "!=" | "<" | "<=" | ">" | ">=") additive
                            | ["NOT"] "IN" "(" additive ("," additive)* ")"]
    additive   := term (("+" | "-") term)*
    term       := unary (("*" | "/") unary)*
    unary      := "-" unary | primary
    primary    := number | string | call | name | "(" or_expr ")"
    call       := COUNT "(" scope [":" or_expr] ")" | SUM "(" [scope ":"] or_expr ")"
                | function "(" [or_expr ("," or_expr)*] ")"

Plain functions (:data:`FUNCTION_USAGE`): EMPTY(x); YEAR, MONTH, QUARTER of a
date; DATE(year, month, day); DAYS(later, earlier), days between two dates as
Excel's DAYS counts them; IF(condition, a, b); MIN and MAX of two or more
numbers or dates. ``x IN (a, b, …)`` is ``x = a OR x = b …``, and
``x NOT IN (…)`` its negation.

Unknown values (a blank, a value in error, 1/0) propagate as through the
operators: a function of an unknown is unknown (MIN(3, blank) too), except
EMPTY, which asks exactly that, and IF, whose unchosen branch is not looked at.
``x IN (…)`` is true as soon as x equals a known option and unknown if x is.

Keywords and function names are case-insensitive. Positions shown to the
officer (``ExpressionError.position``, ``Issue.position``) are 1-based
character numbers; node ``offset`` values are 0-based indexes into
``Expression.text``.
"""

from __future__ import annotations

import difflib
import functools
import operator
import unicodedata
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum, StrEnum
from fractions import Fraction
from typing import Any, Protocol, cast

from workbook_tools.errors import ExpressionError
from workbook_tools.problems import MESSAGES
from workbook_tools.values import ALLOWED_VALUES, FieldType, Value

#: Longest formula accepted; the plan's longest is under 100 characters.
MAX_LENGTH = 2000
#: Deepest nesting of brackets, NOT and unary minus the parser follows.
MAX_NESTING = 32
#: Deepest tree accepted (a long ``a + b + c …`` chain is as deep as it is long);
#: keeps checking and evaluation far from Python's recursion limit.
MAX_DEPTH = 64

#: How a suggestion for a misspelt name or value reads (Issue.suggestion).
SUGGESTION = "Có phải ý bạn là '{name}'?"

AGGREGATES = ("COUNT", "SUM")
#: Plain functions: name -> number of arguments.
FUNCTION_ARITY = {
    "EMPTY": 1,
    "YEAR": 1,
    "MONTH": 1,
    "QUARTER": 1,
    "DATE": 3,
    "DAYS": 2,
    "IF": 3,
}
#: Functions of any number of arguments: name -> the fewest they take.
VARIADIC = {"MIN": 2, "MAX": 2}
FUNCTION_USAGE = {
    "EMPTY": "EMPTY(mã_trường)",
    "YEAR": "YEAR(ngày)",
    "MONTH": "MONTH(ngày)",
    "QUARTER": "QUARTER(ngày)",
    "DATE": "DATE(năm, tháng, ngày)",
    "DAYS": "DAYS(ngày_sau, ngày_trước)",
    "IF": "IF(điều_kiện, giá_trị_khi_đúng, giá_trị_khi_sai)",
    "MIN": "MIN(a, b, …)",
    "MAX": "MAX(a, b, …)",
    "COUNT": "COUNT(phạm_vi) hoặc COUNT(phạm_vi: điều_kiện)",
    "SUM": "SUM(mã_trường) hoặc SUM(phạm_vi: biểu_thức)",
}
FUNCTIONS = (*AGGREGATES, *FUNCTION_ARITY, *VARIADIC)
KEYWORDS = ("AND", "OR", "NOT", "IN")
COMPARISONS = ("=", "<>", "<", "<=", ">", ">=")


def message(code: str, **context: object) -> str:
    """The Vietnamese text of catalogue entry ``code`` (see ``problems.MESSAGES``)."""
    return MESSAGES[code][1].format(**context)


# --- tree ----------------------------------------------------------------------
# ``offset`` is where the node's own token stands (the operator of a binary
# node), ``span`` the part of the text the whole node covers. Neither takes part
# in equality, so a tree built by hand equals the parsed one.


@dataclass(frozen=True, slots=True)
class Number:
    value: int | Fraction
    offset: int = field(default=0, compare=False)
    span: tuple[int, int] = field(default=(0, 0), compare=False)


@dataclass(frozen=True, slots=True)
class String:
    value: str  # NFC
    offset: int = field(default=0, compare=False)
    span: tuple[int, int] = field(default=(0, 0), compare=False)


@dataclass(frozen=True, slots=True)
class Name:
    """A field (lowercase) or a constant (UPPERCASE) reference."""

    name: str
    offset: int = field(default=0, compare=False)
    span: tuple[int, int] = field(default=(0, 0), compare=False)

    @property
    def is_constant(self) -> bool:
        return self.name.isupper()


@dataclass(frozen=True, slots=True)
class Negate:
    operand: Node
    offset: int = field(default=0, compare=False)
    span: tuple[int, int] = field(default=(0, 0), compare=False)


@dataclass(frozen=True, slots=True)
class Not:
    operand: Node
    offset: int = field(default=0, compare=False)
    span: tuple[int, int] = field(default=(0, 0), compare=False)


@dataclass(frozen=True, slots=True)
class Arithmetic:
    op: str  # + - * /
    left: Node
    right: Node
    offset: int = field(default=0, compare=False)
    span: tuple[int, int] = field(default=(0, 0), compare=False)


@dataclass(frozen=True, slots=True)
class Comparison:
    op: str  # one of COMPARISONS ("!=" is read as "<>")
    left: Node
    right: Node
    offset: int = field(default=0, compare=False)
    span: tuple[int, int] = field(default=(0, 0), compare=False)


@dataclass(frozen=True, slots=True)
class Logical:
    op: str  # AND, OR
    left: Node
    right: Node
    offset: int = field(default=0, compare=False)
    span: tuple[int, int] = field(default=(0, 0), compare=False)


@dataclass(frozen=True, slots=True)
class Membership:
    """``operand IN (options…)``, or ``NOT IN`` when ``negated``; ``offset`` is IN's."""

    operand: Node
    options: tuple[Node, ...]
    negated: bool = False
    offset: int = field(default=0, compare=False)
    span: tuple[int, int] = field(default=(0, 0), compare=False)


@dataclass(frozen=True, slots=True)
class Call:
    """A plain function (FUNCTION_ARITY, VARIADIC); the arguments are counted by :func:`check`."""

    function: str  # upper case
    args: tuple[Node, ...]
    offset: int = field(default=0, compare=False)
    span: tuple[int, int] = field(default=(0, 0), compare=False)


@dataclass(frozen=True, slots=True)
class Aggregate:
    """COUNT or SUM over a scope (None: SUM over every reporter)."""

    function: str  # COUNT, SUM
    scope: str | None
    body: Node | None  # None only for COUNT(scope)
    offset: int = field(default=0, compare=False)
    span: tuple[int, int] = field(default=(0, 0), compare=False)
    scope_offset: int = field(default=0, compare=False)


Node = (
    Number
    | String
    | Name
    | Negate
    | Not
    | Arithmetic
    | Comparison
    | Membership
    | Logical
    | Call
    | Aggregate
)


def children(node: Node) -> tuple[Node, ...]:
    """The direct sub-expressions of ``node``."""
    match node:
        case Negate(operand=o) | Not(operand=o):
            return (o,)
        case Arithmetic(left=a, right=b) | Comparison(left=a, right=b) | Logical(left=a, right=b):
            return (a, b)
        case Call(args=args):
            return args
        case Membership(operand=o, options=options):
            return (o, *options)
        case Aggregate(body=body):
            return () if body is None else (body,)
        case _:
            return ()


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, parents first; iterative so depth costs no stack."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))


@dataclass(frozen=True)
class Expression:
    """A parsed formula and the names it uses."""

    text: str  # as typed, in NFC
    root: Node
    fields: frozenset[str]  # lowercase identifiers used as field references
    constants: frozenset[str]  # UPPERCASE identifiers used outside scopes
    scopes: frozenset[str]  # scope selectors used in COUNT/SUM

    def __str__(self) -> str:
        return self.text

    @functools.cached_property
    def compiled(self) -> _Compiled:
        """The formula as a function of (row, env), made on first use."""
        return _compile(self.root, False)


# --- tokenizer -----------------------------------------------------------------


class Tok(Enum):
    NUMBER = "number"
    STRING = "string"
    NAME = "name"
    KEYWORD = "keyword"
    OP = "op"
    LPAREN = "("
    RPAREN = ")"
    COMMA = ","
    COLON = ":"
    END = "end"


@dataclass(frozen=True, slots=True)
class Token:
    kind: Tok
    text: str  # the characters as typed
    offset: int
    # NUMBER: int or Fraction; STRING: NFC text; OP and KEYWORD: canonical spelling
    value: str | int | Fraction = ""


# Excel's autocorrect turns straight quotes into typographic ones.
_OPEN_QUOTES = '"“”„'
_CLOSE_QUOTES = '"“”'
# Zero-width characters come along when formulas are pasted from web pages or Zalo.
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
_OPERATORS = {
    "<=": "<=",
    ">=": ">=",
    "<>": "<>",
    "!=": "<>",
    "==": "=",
    "=": "=",
    "<": "<",
    ">": ">",
    "+": "+",
    "-": "-",
    "*": "*",
    "/": "/",
    "≤": "<=",
    "≥": ">=",
    "≠": "<>",
    "−": "-",  # U+2212 MINUS SIGN
}
_PUNCTUATION = {"(": Tok.LPAREN, ")": Tok.RPAREN, ",": Tok.COMMA, ";": Tok.COMMA, ":": Tok.COLON}


def _is_ascii_digit(ch: str) -> bool:
    return "0" <= ch <= "9"


def _is_name_char(ch: str) -> bool:
    # Any letter, so that an unquoted Vietnamese word is read whole and
    # reported as such rather than as a stray accented letter.
    return ch == "_" or ch.isalnum()


def _shown(text: str, limit: int = 30) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def tokenize(text: str) -> list[Token]:
    """Split NFC ``text`` into tokens, ending with an END token."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace() or ch in _INVISIBLE:
            i += 1
            continue
        start = i
        if _is_ascii_digit(ch):
            while i < n and _is_ascii_digit(text[i]):
                i += 1
            if i < n and text[i] == ".":
                i += 1
                if i >= n or not _is_ascii_digit(text[i]):
                    raise _error("formula.bad_number", start, text=text[start:i])
                while i < n and _is_ascii_digit(text[i]):
                    i += 1
                literal = text[start:i]
                tokens.append(Token(Tok.NUMBER, literal, start, Fraction(literal)))
            else:
                literal = text[start:i]
                tokens.append(Token(Tok.NUMBER, literal, start, int(literal)))
            continue
        if _is_name_char(ch):
            while i < n and _is_name_char(text[i]):
                i += 1
            word = text[start:i]
            if not word.isascii():
                raise _error("formula.bad_name", start, text=_shown(word))
            if word.upper() in KEYWORDS:
                tokens.append(Token(Tok.KEYWORD, word, start, word.upper()))
            else:
                tokens.append(Token(Tok.NAME, word, start, word))
            continue
        if ch in _OPEN_QUOTES:
            end = i + 1
            while end < n and text[end] not in _CLOSE_QUOTES:
                end += 1
            if end >= n:
                raise _error("formula.unterminated_string", start)
            inner = text[i + 1 : end]
            tokens.append(Token(Tok.STRING, text[start : end + 1], start, inner))
            i = end + 1
            continue
        two = text[i : i + 2]
        if two in _OPERATORS:
            tokens.append(Token(Tok.OP, two, start, _OPERATORS[two]))
            i += 2
            continue
        if ch in _OPERATORS:
            tokens.append(Token(Tok.OP, ch, start, _OPERATORS[ch]))
            i += 1
            continue
        if ch in _PUNCTUATION:
            tokens.append(Token(_PUNCTUATION[ch], ch, start, ch))
            i += 1
            continue
        raise _error("formula.bad_character", start, char=ch, hint=_character_hint(ch))
    tokens.append(Token(Tok.END, "", n))
    return tokens


def _character_hint(ch: str) -> str:
    if ch in "'‘’`":
        return 'Hãy dùng dấu nháy kép " để bao chữ, ví dụ "Có".'
    if ch == "&":
        return "Hãy dùng AND hoặc OR để nối hai điều kiện."
    if ch in "[]{}":
        return "Hãy chỉ dùng dấu ngoặc tròn ( )."
    if ch == "%":
        return "Hãy viết tỉ lệ dạng thập phân với dấu chấm, ví dụ 0.95 thay cho 95%."
    return "Hãy xoá ký tự này; xem cách viết công thức ở trang Hướng dẫn."


def _error(code: str, offset: int, **context: object) -> ExpressionError:
    return ExpressionError(message(code, position=offset + 1, **context), offset + 1)


# --- parser --------------------------------------------------------------------

_EXPECT_VALUE = "một giá trị (số, chữ trong dấu nháy kép, mã trường, hằng số, hàm hoặc dấu '(')"


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.pos = 0
        self.nesting = 0

    # - token helpers -
    @property
    def tok(self) -> Token:
        return self.tokens[self.pos]

    def peek(self, ahead: int = 1) -> Token:
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.tokens[self.pos]
        if token.kind is not Tok.END:
            self.pos += 1
        return token

    def at_keyword(self, word: str) -> bool:
        return self.tok.kind is Tok.KEYWORD and self.tok.value == word

    def unexpected(self, expected: str) -> ExpressionError:
        token = self.tok
        if token.kind is Tok.END:
            last = self.tokens[self.pos - 1] if self.pos else None
            where = last.offset + len(last.text) - 1 if last else 0
            return _error("formula.unexpected_end", max(where, 0), expected=expected)
        return _error(
            "formula.unexpected", token.offset, found=f"'{_shown(token.text)}'", expected=expected
        )

    def enter(self) -> None:
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            raise _error("formula.too_deep", self.tok.offset, limit=MAX_NESTING)

    def leave(self) -> None:
        self.nesting -= 1

    def expect_close(self, opening: Token) -> Token:
        if self.tok.kind is Tok.RPAREN:
            return self.advance()
        if self.tok.kind is Tok.END:
            raise _error("formula.unclosed_paren", opening.offset)
        raise self.unexpected(f"dấu ')' đóng dấu '(' ở ký tự thứ {opening.offset + 1}")

    # - grammar -
    def parse(self) -> Node:
        if self.tok.kind is Tok.END:
            raise ExpressionError(message("formula.empty"), None)
        node = self.or_expr()
        token = self.tok
        if token.kind is Tok.END:
            return node
        if token.kind is Tok.RPAREN:
            raise _error("formula.unmatched_paren", token.offset)
        raise _error("formula.extra", token.offset, found=f"'{_shown(token.text)}'")

    def or_expr(self) -> Node:
        node = self.and_expr()
        while self.at_keyword("OR"):
            op = self.advance()
            right = self.and_expr()
            node = Logical("OR", node, right, op.offset, (node.span[0], right.span[1]))
        return node

    def and_expr(self) -> Node:
        node = self.not_expr()
        while self.at_keyword("AND"):
            op = self.advance()
            right = self.not_expr()
            node = Logical("AND", node, right, op.offset, (node.span[0], right.span[1]))
        return node

    def not_expr(self) -> Node:
        if not self.at_keyword("NOT"):
            return self.comparison()
        op = self.advance()
        self.enter()
        operand = self.not_expr()
        self.leave()
        return Not(operand, op.offset, (op.offset, operand.span[1]))

    def comparison(self) -> Node:
        left = self.additive()
        if self.at_keyword("IN") or (
            self.at_keyword("NOT")
            and self.peek().kind is Tok.KEYWORD
            and self.peek().value == "IN"
        ):
            return self.membership(left)
        if not (self.tok.kind is Tok.OP and self.tok.value in COMPARISONS):
            return left
        op = self.advance()
        right = self.additive()
        if self.tok.kind is Tok.OP and self.tok.value in COMPARISONS:
            raise _error("formula.chained_comparison", self.tok.offset, operator=self.tok.text)
        return Comparison(str(op.value), left, right, op.offset, (left.span[0], right.span[1]))

    def membership(self, operand: Node) -> Membership:
        negated = self.at_keyword("NOT")
        if negated:
            self.advance()
        keyword = self.advance()
        opening = self.tok
        if opening.kind is not Tok.LPAREN:
            raise self.unexpected('dấu \'(\' và danh sách giá trị, ví dụ IN ("Tốt", "Khá")')
        self.advance()
        self.enter()
        options = [self.additive()]
        while self.tok.kind is Tok.COMMA:
            self.advance()
            options.append(self.additive())
        closing = self.expect_close(opening)
        self.leave()
        if self.tok.kind is Tok.OP and self.tok.value in COMPARISONS:
            raise _error("formula.chained_comparison", self.tok.offset, operator=self.tok.text)
        return Membership(
            operand,
            tuple(options),
            negated,
            keyword.offset,
            (operand.span[0], closing.offset + 1),
        )

    def additive(self) -> Node:
        node = self.term()
        while self.tok.kind is Tok.OP and self.tok.value in ("+", "-"):
            op = self.advance()
            right = self.term()
            node = Arithmetic(str(op.value), node, right, op.offset, (node.span[0], right.span[1]))
        return node

    def term(self) -> Node:
        node = self.unary()
        while self.tok.kind is Tok.OP and self.tok.value in ("*", "/"):
            op = self.advance()
            right = self.unary()
            node = Arithmetic(str(op.value), node, right, op.offset, (node.span[0], right.span[1]))
        return node

    def unary(self) -> Node:
        if not (self.tok.kind is Tok.OP and self.tok.value == "-"):
            return self.primary()
        op = self.advance()
        self.enter()
        operand = self.unary()
        self.leave()
        return Negate(operand, op.offset, (op.offset, operand.span[1]))

    def primary(self) -> Node:
        token = self.tok
        end = token.offset + len(token.text)
        if token.kind is Tok.NUMBER:
            self.advance()
            assert isinstance(token.value, int | Fraction)
            return Number(token.value, token.offset, (token.offset, end))
        if token.kind is Tok.STRING:
            self.advance()
            return String(str(token.value), token.offset, (token.offset, end))
        if token.kind is Tok.NAME:
            self.advance()
            if self.tok.kind is Tok.LPAREN:
                return self.call(token)
            return Name(token.text, token.offset, (token.offset, end))
        if token.kind is Tok.LPAREN:
            self.advance()
            self.enter()
            inner = self.or_expr()
            self.leave()
            self.expect_close(token)
            return inner
        if token.kind is Tok.RPAREN and self.nesting == 0:
            raise _error("formula.unmatched_paren", token.offset)
        raise self.unexpected(_EXPECT_VALUE)

    def call(self, name: Token) -> Node:
        function = name.text.upper()
        if function not in FUNCTIONS:
            raise _error(
                "formula.unknown_function",
                name.offset,
                name=_shown(name.text),
                suggestion=_suggestion_text(suggest(name.text, FUNCTIONS)),
                known=", ".join(FUNCTIONS),
            )
        opening = self.advance()
        self.enter()
        node: Node
        if function in AGGREGATES:
            node = self.aggregate(function, name, opening)
        else:
            args: list[Node] = []
            if self.tok.kind is not Tok.RPAREN:
                args.append(self.or_expr())
                while self.tok.kind is Tok.COMMA:
                    self.advance()
                    args.append(self.or_expr())
            closing = self.expect_close(opening)
            node = Call(function, tuple(args), name.offset, (name.offset, closing.offset + 1))
        self.leave()
        return node

    def aggregate(self, function: str, name: Token, opening: Token) -> Aggregate:
        def wrong(reason: str) -> ExpressionError:
            # Point at what is wrong inside the brackets, not at the function name.
            return _error(
                "formula.aggregate_form",
                self.tok.offset,
                function=function,
                reason=reason,
                usage=FUNCTION_USAGE[function],
            )

        scope: Token | None = None
        if self.tok.kind is Tok.NAME and self.peek().kind is Tok.COLON:
            scope = self.advance()
            self.advance()
        body: Node | None = None
        if scope is None and function == "COUNT":
            if self.tok.kind is not Tok.NAME or self.peek().kind is not Tok.RPAREN:
                raise wrong(
                    "sau 'COUNT(' cần tên phạm vi (thon, donvi, tatca hoặc mã đơn vị), "
                    "có điều kiện thì thêm dấu ':' rồi điều kiện"
                )
            scope = self.advance()
        elif self.tok.kind is Tok.RPAREN:
            raise wrong("còn thiếu biểu thức bên trong dấu ngoặc")
        else:
            body = self.or_expr()
        if self.tok.kind is Tok.COMMA:
            raise wrong("chỉ nhận một phạm vi và một biểu thức, không nhận dấu phẩy")
        closing = self.expect_close(opening)
        return Aggregate(
            function,
            None if scope is None else scope.text,
            body,
            name.offset,
            (name.offset, closing.offset + 1),
            scope.offset if scope is not None else opening.offset,
        )


def _depth(root: Node) -> tuple[int, int]:
    """Depth of the tree, and the offset of its deepest node."""
    deepest, where = 0, root.offset
    stack: list[tuple[Node, int]] = [(root, 1)]
    while stack:
        node, level = stack.pop()
        if level > deepest:
            deepest, where = level, node.offset
        stack.extend((child, level + 1) for child in children(node))
    return deepest, where


@functools.lru_cache(maxsize=1024)
def parse(text: str) -> Expression:
    """Parse a formula; raise :class:`ExpressionError` (Vietnamese, with position) if wrong.

    A formula is parsed once per process: the plan's check, each file's rules and
    the consolidation all ask for the same few dozen texts, and share the one
    :class:`Expression` (immutable), with the function it compiles to.
    """
    normalized = unicodedata.normalize("NFC", text)
    if len(normalized) > MAX_LENGTH:
        raise ExpressionError(
            message("formula.too_long", length=len(normalized), limit=MAX_LENGTH), None
        )
    root = _Parser(normalized).parse()
    depth, where = _depth(root)
    if depth > MAX_DEPTH:
        raise _error("formula.too_deep", where, limit=MAX_DEPTH)
    fields: set[str] = set()
    constants: set[str] = set()
    scopes: set[str] = set()
    for node in walk(root):
        if isinstance(node, Name):
            (constants if node.is_constant else fields).add(node.name)
        elif isinstance(node, Aggregate) and node.scope is not None:
            scopes.add(node.scope)
    return Expression(normalized, root, frozenset(fields), frozenset(constants), frozenset(scopes))


# --- suggestions ---------------------------------------------------------------


def _fold(text: str) -> str:
    """Lower case without Vietnamese marks, for matching a misspelling to its name."""
    decomposed = unicodedata.normalize("NFD", text.casefold()).replace("đ", "d")
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def suggest(word: str, candidates: Collection[str]) -> str | None:
    """The candidate closest to ``word`` (ignoring case and marks), or None."""
    by_key: dict[str, str] = {}
    for candidate in sorted(candidates):
        by_key.setdefault(_fold(candidate), candidate)
    key = _fold(word)
    if key in by_key:
        return by_key[key]
    close = difflib.get_close_matches(key, list(by_key), n=1, cutoff=0.6)
    return by_key[close[0]] if close else None


def _known(names: Collection[str]) -> str:
    return ", ".join(sorted(names)) or "(không có)"


def _suggestion_text(found: str | None) -> str:
    return "" if found is None else " " + SUGGESTION.format(name=found)


# --- check ---------------------------------------------------------------------


class Context(StrEnum):
    """Where a formula is used: a rule on one form, an indicator over the roster, or a
    rule on the commune as a whole (a condition over the roster, with COUNT and SUM)."""

    ROW = "row"
    AGGREGATE = "aggregate"
    COMMUNE = "commune"


@dataclass(frozen=True, slots=True)
class Issue:
    """Something :func:`check` found; ``message`` is Vietnamese and stands alone."""

    kind: str  # unknown_name, misuse, arity, type, value
    name: str | None  # the name or value at fault
    message: str
    suggestion: str | None  # "Có phải ý bạn là 'tt_loa'?"
    code: str = ""  # catalogue code, "formula.…"
    position: int | None = None  # 1-based character number


class _Type(Enum):
    NUMBER = "số"
    TEXT = "chữ"
    DATE = "ngày"
    BOOL = "điều kiện (đúng/sai)"
    ANY = "giá trị"  # a constant: its value is known only when evaluating


_FIELD_TYPES = {
    FieldType.INT: _Type.NUMBER,
    FieldType.YESNO: _Type.TEXT,
    FieldType.STATUS: _Type.TEXT,
    FieldType.TEXT: _Type.TEXT,
    FieldType.DATE: _Type.DATE,
    FieldType.DECIMAL: _Type.NUMBER,
    FieldType.MONEY: _Type.NUMBER,
    FieldType.CHOICE: _Type.TEXT,
}


def _allowed_values(field_type: FieldType) -> tuple[str, ...] | None:
    """The only values a yes/no or status field takes; None for the other types."""
    return ALLOWED_VALUES.get(field_type)


#: The functions that take one part of a date.
_DATE_PART = {"YEAR", "MONTH", "QUARTER"}


def _arity_problem(function: str, given: int) -> str | None:
    """How many arguments ``function`` needs, said for a message, if ``given`` is wrong."""
    fewest = VARIADIC.get(function)
    if fewest is not None:
        return None if given >= fewest else f"ít nhất {fewest}"
    wanted = FUNCTION_ARITY[function]
    return None if given == wanted else str(wanted)


_COMPARE_HINT = (
    'Hãy so sánh số với số, chữ với chữ đặt trong dấu nháy kép (ví dụ "Có"), '
    "ngày với DATE(năm, tháng, ngày)."
)


class _Checker:
    def __init__(
        self,
        expr: Expression,
        context: Context,
        fields: Mapping[str, FieldType],
        constants: Collection[str] | Mapping[str, FieldType],
        scopes: Collection[str],
        choices: Mapping[str, Sequence[str]],
    ) -> None:
        self.expr = expr
        self.context = context
        self.fields = fields
        self.constants = constants
        self.constant_types: Mapping[str, FieldType] = (
            constants if isinstance(constants, Mapping) else {}
        )
        self.scopes = scopes
        self.choices = choices
        self.issues: list[Issue] = []
        self._reported: set[tuple[str, str]] = set()

    def add(
        self,
        kind: str,
        code: str,
        offset: int,
        name: str | None = None,
        suggestion: str | None = None,
        **context: object,
    ) -> None:
        text = message(
            code, position=offset + 1, name=name, suggestion=_suggestion_text(suggestion), **context
        )
        shown = None if suggestion is None else SUGGESTION.format(name=suggestion)
        self.issues.append(Issue(kind, name, text, shown, code, offset + 1))

    def quote(self, node: Node) -> str:
        start, end = node.span
        shown = _shown(self.expr.text[start:end])
        return shown if isinstance(node, String) else f"'{shown}'"

    def run(self) -> list[Issue]:
        result = self.infer(self.expr.root, aggregate=None)
        if self.context is Context.ROW:
            self.expect(
                result,
                _Type.BOOL,
                self.expr.root,
                "formula.result_type",
                where="một quy tắc",
                example="so_da_kiem_tra <= so_co_so",
            )
        elif self.context is Context.COMMUNE:
            self.expect(
                result,
                _Type.BOOL,
                self.expr.root,
                "formula.result_type",
                where="một quy tắc của cả xã",
                example="SUM(thon: so_tin_chuyen) <= SUM(CA: so_tin_nhan)",
            )
        else:
            self.expect(
                result,
                _Type.NUMBER,
                self.expr.root,
                "formula.result_type",
                where="một chỉ tiêu",
                example='COUNT(thon: co_ke_hoach = "Có")',
            )
        self.issues.sort(key=lambda issue: issue.position or 0)
        return self.issues

    def expect(self, actual: _Type, wanted: _Type, node: Node, code: str, **context: str) -> None:
        if actual in (wanted, _Type.ANY):
            return
        self.add(
            "type",
            code,
            node.offset,
            node.name if isinstance(node, Name) else None,
            what=self.quote(node),
            actual=actual.value,
            expected=wanted.value,
            **context,
        )

    def operand(self, actual: _Type, wanted: _Type, node: Node, operator: str) -> None:
        self.expect(actual, wanted, node, "formula.operand_type", operator=operator)

    def infer(self, node: Node, aggregate: Aggregate | None) -> _Type:
        match node:
            case Number():
                return _Type.NUMBER
            case String():
                return _Type.TEXT
            case Name():
                return self.name(node, aggregate)
            case Negate(operand=o):
                self.operand(self.infer(o, aggregate), _Type.NUMBER, o, "-")
                return _Type.NUMBER
            case Not(operand=o):
                self.operand(self.infer(o, aggregate), _Type.BOOL, o, "NOT")
                return _Type.BOOL
            case Arithmetic(op=op, left=a, right=b):
                self.operand(self.infer(a, aggregate), _Type.NUMBER, a, op)
                self.operand(self.infer(b, aggregate), _Type.NUMBER, b, op)
                return _Type.NUMBER
            case Logical(op=op, left=a, right=b):
                self.operand(self.infer(a, aggregate), _Type.BOOL, a, op)
                self.operand(self.infer(b, aggregate), _Type.BOOL, b, op)
                return _Type.BOOL
            case Comparison():
                self.comparison(node, aggregate)
                return _Type.BOOL
            case Call():
                return self.call(node, aggregate)
            case Membership():
                self.membership(node, aggregate)
                return _Type.BOOL
            case Aggregate():
                self.aggregate(node, aggregate)
                return _Type.NUMBER

    def name(self, node: Name, aggregate: Aggregate | None) -> _Type:
        if node.is_constant:
            if node.name not in self.constants:
                self.unknown(
                    node.name,
                    node.offset,
                    "formula.unknown_constant",
                    [*self.constants, *self.fields],
                    known=_known(self.constants),
                )
                return _Type.ANY
            constant_type = self.constant_types.get(node.name)
            return _Type.ANY if constant_type is None else _FIELD_TYPES[constant_type]
        if self.context is not Context.ROW and aggregate is None:
            self.add("misuse", "formula.bare_field", node.offset, node.name)
        field_type = self.fields.get(node.name)
        if field_type is None:
            self.unknown(
                node.name, node.offset, "formula.unknown_field", [*self.fields, *self.constants]
            )
            return _Type.ANY
        return _FIELD_TYPES.get(field_type, _Type.ANY)

    def unknown(
        self, name: str, offset: int, code: str, candidates: Collection[str], **context: object
    ) -> None:
        # One issue per misspelt name, however often it is used.
        if (code, name) in self._reported:
            return
        self._reported.add((code, name))
        self.add("unknown_name", code, offset, name, suggest(name, candidates), **context)

    def comparison(self, node: Comparison, aggregate: Aggregate | None) -> None:
        left = self.infer(node.left, aggregate)
        right = self.infer(node.right, aggregate)
        if _Type.ANY in (left, right):
            pass
        elif left is not right:
            self.add(
                "type",
                "formula.compare_types",
                node.offset,
                operator=node.op,
                left=f"{self.quote(node.left)} ({left.value})",
                right=f"{self.quote(node.right)} ({right.value})",
                hint=_COMPARE_HINT,
            )
            return
        elif node.op not in ("=", "<>") and left in (_Type.TEXT, _Type.BOOL):
            self.add("type", "formula.order_text", node.offset, operator=node.op, actual=left.value)
            return
        for named, other in ((node.left, node.right), (node.right, node.left)):
            if not isinstance(other, String):
                continue
            if not other.value.strip():
                # A blank value is missing, so `x = ""` is never true: EMPTY(x) is meant.
                shown = named.name if isinstance(named, Name) else "mã_trường"
                self.add("misuse", "formula.blank_text", other.offset, shown)
            elif isinstance(named, Name):
                self.allowed_value(named, other)

    def membership(self, node: Membership, aggregate: Aggregate | None) -> None:
        kind = self.infer(node.operand, aggregate)
        for option in node.options:
            other = self.infer(option, aggregate)
            if _Type.ANY in (kind, other) or kind is other:
                pass
            else:
                self.add(
                    "type",
                    "formula.compare_types",
                    option.offset,
                    operator="NOT IN" if node.negated else "IN",
                    left=f"{self.quote(node.operand)} ({kind.value})",
                    right=f"{self.quote(option)} ({other.value})",
                    hint=_COMPARE_HINT,
                )
                continue
            if not isinstance(option, String):
                continue
            if not option.value.strip():
                shown = node.operand.name if isinstance(node.operand, Name) else "mã_trường"
                self.add("misuse", "formula.blank_text", option.offset, shown)
            elif isinstance(node.operand, Name):
                self.allowed_value(node.operand, option)

    def allowed_value(self, named: Name, literal: String) -> None:
        field_type = self.fields.get(named.name)
        allowed = None if field_type is None else _allowed_values(field_type)
        if field_type is FieldType.CHOICE:
            listed = self.choices.get(named.name)
            allowed = None if not listed else tuple(listed)
        if allowed is None or literal.value in allowed:
            return
        self.add(
            "value",
            "formula.bad_value",
            literal.offset,
            literal.value,
            suggest(literal.value, allowed),
            field=named.name,
            allowed=" / ".join(f'"{v}"' for v in allowed),
        )

    def call(self, node: Call, aggregate: Aggregate | None) -> _Type:
        kinds = [self.infer(arg, aggregate) for arg in node.args]
        function = node.function
        expected = _arity_problem(function, len(node.args))
        if expected is not None:
            self.add(
                "arity",
                "formula.arity",
                node.offset,
                function,
                function=function,
                expected=expected,
                given=len(node.args),
                usage=FUNCTION_USAGE[function],
            )
        args = list(zip(node.args, kinds, strict=True))
        if function == "EMPTY":
            return _Type.BOOL
        if function in _DATE_PART:
            for arg, kind in args:
                self.operand(kind, _Type.DATE, arg, function)
            return _Type.NUMBER
        if function == "DAYS":
            for arg, kind in args:
                self.operand(kind, _Type.DATE, arg, function)
            return _Type.NUMBER
        if function == "IF":
            return self.if_call(node, args)
        if function in VARIADIC:
            return self.extreme(node, args)
        for arg, kind in args:
            self.operand(kind, _Type.NUMBER, arg, "DATE")
        numbers = [a.value for a in node.args if isinstance(a, Number)]
        if len(numbers) == 3 == len(node.args) and _make_date(*numbers) is None:
            y, m, d = numbers
            self.add("value", "formula.date_invalid", node.offset, day=d, month=m, year=y)
        return _Type.DATE

    def if_call(self, node: Call, args: list[tuple[Node, _Type]]) -> _Type:
        if not args:
            return _Type.ANY
        condition, kind = args[0]
        self.operand(kind, _Type.BOOL, condition, "IF")
        return self.same_type(node, args[1:])

    def extreme(self, node: Call, args: list[tuple[Node, _Type]]) -> _Type:
        """MIN and MAX: numbers, or dates (the earliest, the latest)."""
        for arg, kind in args:
            if kind not in (_Type.NUMBER, _Type.DATE, _Type.ANY):
                self.add(
                    "type",
                    "formula.extreme_type",
                    arg.offset,
                    arg.name if isinstance(arg, Name) else None,
                    function=node.function,
                    what=self.quote(arg),
                    actual=kind.value,
                )
                return _Type.ANY
        return self.same_type(node, args)

    def same_type(self, node: Call, args: list[tuple[Node, _Type]]) -> _Type:
        """The one type of ``args`` (IF's two branches, MIN's values); an issue if they differ."""
        known = [(arg, kind) for arg, kind in args if kind is not _Type.ANY]
        if not known:
            return _Type.ANY
        first, first_kind = known[0]
        for arg, kind in known[1:]:
            if kind is not first_kind:
                self.add(
                    "type",
                    "formula.mixed_types",
                    arg.offset,
                    function=node.function,
                    left=f"{self.quote(first)} ({first_kind.value})",
                    right=f"{self.quote(arg)} ({kind.value})",
                    usage=FUNCTION_USAGE[node.function],
                )
                return _Type.ANY
        return first_kind

    def aggregate(self, node: Aggregate, outer: Aggregate | None) -> None:
        if self.context is Context.ROW:
            self.add(
                "misuse",
                "formula.aggregate_in_rule",
                node.offset,
                node.function,
                function=node.function,
            )
        elif outer is not None:
            self.add(
                "misuse",
                "formula.nested_aggregate",
                node.offset,
                node.function,
                function=node.function,
                outer=outer.function,
            )
        if node.scope is not None and node.scope not in self.scopes:
            self.unknown(node.scope, node.scope_offset, "formula.unknown_scope", self.scopes)
        if node.body is None:
            return
        kind = self.infer(node.body, node)
        wanted = _Type.BOOL if node.function == "COUNT" else _Type.NUMBER
        self.operand(kind, wanted, node.body, node.function)


def check(
    expr: Expression,
    *,
    context: Context,
    fields: Mapping[str, FieldType],
    constants: Collection[str] | Mapping[str, FieldType],
    scopes: Collection[str],
    choices: Mapping[str, Sequence[str]] | None = None,
) -> list[Issue]:
    """Everything wrong with ``expr`` in ``context``, in the order it appears.

    ``fields`` maps each known field code to its type; ``constants`` and
    ``scopes`` are the names the caller provides (e.g. ``SO_THANG``, ``NAM``;
    ``thon``, ``donvi``, ``tatca`` and the roster codes). ``constants`` may
    map each name to the type of its value (``KY_BAT_DAU``: date), so that it
    is checked like a field; a bare collection leaves their types to the
    evaluation. ``choices`` gives a ``choice`` field's own values, checked
    like Có/Không's. A rule (ROW) must be a condition; an indicator
    (AGGREGATE) must be a number; a rule on the commune as a whole (COMMUNE)
    is a condition whose fields are read through COUNT and SUM.
    """
    return _Checker(expr, context, fields, constants, scopes, choices or {}).run()


# --- evaluation ----------------------------------------------------------------

Result = int | Fraction | str | date | bool | None


class Population(Protocol):
    """The roster as the consolidation step sees it."""

    def members(self, scope: str) -> Sequence[Mapping[str, Value] | None]:
        """One entry per roster entry in ``scope``; None for one that did not report.

        A mapping holds only usable values (missing or erroneous values are absent).
        """
        ...

    def reporters(self) -> Sequence[Mapping[str, Value]]:
        """Every reporting roster entry (for ``SUM(expr)`` without a scope)."""
        ...


# The types a cleaned value has, each with its sort (which values compare with
# which). Looked up by exact type: isinstance() against Fraction goes through
# the numbers ABCs, and these run for every value of every roster entry.
_SORTS: dict[type, str] = {
    bool: "bool",
    int: "number",
    Fraction: "number",
    str: "text",
    date: "date",
}
_AS_IS = frozenset({bool, int, Fraction, date})
_NUMBERS = frozenset({int, Fraction})


def _clean(value: object) -> Result:
    """A stored value as the language sees it: NFC text, blank text missing, dates as dates."""
    if type(value) in _AS_IS:  # the usual values, first
        return cast(Result, value)
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value) if value.strip() else None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, bool | int | Fraction | date):
        return value
    return None  # a float or anything else has no meaning here


def _sort(value: Result) -> str | None:
    """Which values compare with which: numbers, text, dates, conditions."""
    if value is None:
        return None
    sort = _SORTS.get(type(value))
    if sort is not None:
        return sort
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | Fraction):
        return "number"
    if isinstance(value, str):
        return "text"
    return "date"


def _number(value: Result) -> int | Fraction | None:
    if type(value) in _NUMBERS:
        return cast(int | Fraction, value)
    if isinstance(value, bool) or not isinstance(value, int | Fraction):
        return None
    return value


def _truth(value: Result) -> bool | None:
    return value if isinstance(value, bool) else None


def _make_date(year: object, month: object, day: object) -> date | None:
    parts = []
    for part in (year, month, day):
        if isinstance(part, Fraction) and part.denominator == 1:
            part = part.numerator
        if not isinstance(part, int) or isinstance(part, bool):
            return None
        parts.append(part)
    try:
        return date(*parts)
    except (ValueError, OverflowError):
        return None


_ORDER: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _compare(op: str, left: Result, right: Result) -> bool | None:
    sort = _sort(left)
    if sort is None or sort != _sort(right):
        return None
    if op == "=":
        return left == right
    if op == "<>":
        return left != right
    if sort == "bool":
        return None
    return bool(_ORDER[op](left, right))  # same sort, so the two are comparable


def _arithmetic(op: str, left: Result, right: Result) -> int | Fraction | None:
    a, b = _number(left), _number(right)
    if a is None or b is None:
        return None
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if b == 0:
        return None  # a ratio with nothing to divide by is unknown, not an error
    return Fraction(a) / Fraction(b)


# --- evaluation: each formula is turned once into nested Python closures --------
# (a plan's few formulas are evaluated for every form and every roster entry;
# walking the tree again each time cost most of the consolidation step). A
# formula check() refuses still compiles: its closures raise when evaluated,
# where the tree walk used to.

@dataclass(frozen=True, slots=True)
class _Env:
    constants: Mapping[str, Value]
    population: Population | None
    # COUNT(scope: condition): whether an entry that did not report, or whose
    # condition is unknown (a blank, a value in error), counts as meeting it.
    unknown_meets: bool = False


Row = Mapping[str, Value] | None
_Compiled = Callable[[Row, _Env], "Result"]


def _compile(node: Node, inside: bool) -> _Compiled:
    """``node`` as a closure of (row, env); ``inside`` says it is a COUNT/SUM body."""
    match node:
        case Number(value=v):
            return lambda row, env: v
        case String(value=text):
            cleaned = _clean(text)
            return lambda row, env: cleaned
        case Name():
            return _compile_name(node)
        case Negate(operand=o):
            operand = _compile(o, inside)

            def negate(row: Row, env: _Env) -> Result:
                number = _number(operand(row, env))
                return None if number is None else -number

            return negate
        case Not(operand=o):
            operand = _compile(o, inside)

            def negation(row: Row, env: _Env) -> Result:
                truth = _truth(operand(row, env))
                return None if truth is None else not truth

            return negation
        case Arithmetic(op=op, left=a, right=b):
            left, right = _compile(a, inside), _compile(b, inside)
            return lambda row, env: _arithmetic(op, left(row, env), right(row, env))
        case Comparison(op=op, left=a, right=b):
            left, right = _compile(a, inside), _compile(b, inside)
            return lambda row, env: _compare(op, left(row, env), right(row, env))
        case Logical(op=op, left=a, right=b):
            return _compile_logical(op == "OR", _compile(a, inside), _compile(b, inside))
        case Call():
            return _compile_call(node, inside)
        case Membership():
            return _compile_membership(node, inside)
        case Aggregate():
            return _compile_aggregate(node, inside)


def _compile_name(node: Name) -> _Compiled:
    name = node.name
    if node.is_constant:

        def constant(row: Row, env: _Env) -> Result:
            if name not in env.constants:
                raise _error(
                    "formula.unknown_constant",
                    node.offset,
                    name=name,
                    suggestion="",
                    known=_known(env.constants),
                )
            return _clean(env.constants[name])

        return constant

    def field_value(row: Row, env: _Env) -> Result:
        if row is None:
            raise _error("formula.bare_field", node.offset, name=name)
        return _clean(row.get(name))

    return field_value


def _compile_logical(decisive: bool, left: _Compiled, right: _Compiled) -> _Compiled:
    """AND (``decisive`` False) or OR (True), in Kleene logic: a known decisive value decides."""

    def logical(row: Row, env: _Env) -> bool | None:
        first = _truth(left(row, env))
        if first is decisive:
            return decisive
        second = _truth(right(row, env))
        if second is decisive:
            return decisive
        if first is None or second is None:
            return None
        return not decisive

    return logical


def _compile_call(node: Call, inside: bool) -> _Compiled:
    function = node.function
    expected = _arity_problem(function, len(node.args))
    if expected is not None:
        return _raising(
            "formula.arity",
            node.offset,
            function=function,
            expected=expected,
            given=len(node.args),
            usage=FUNCTION_USAGE[function],
        )
    args = [_compile(arg, inside) for arg in node.args]
    if function == "EMPTY":
        (only,) = args
        return lambda row, env: only(row, env) is None
    if function in _DATE_PART:
        (day_of,) = args
        part = _DATE_PARTS[function]

        def date_part(row: Row, env: _Env) -> Result:
            day = day_of(row, env)
            return part(day) if isinstance(day, date) else None

        return date_part
    if function == "DAYS":
        later_of, earlier_of = args

        def days(row: Row, env: _Env) -> Result:
            later, earlier = later_of(row, env), earlier_of(row, env)
            if isinstance(later, date) and isinstance(earlier, date):
                return (later - earlier).days
            return None

        return days
    if function == "IF":
        condition, chosen, other = args

        def if_(row: Row, env: _Env) -> Result:
            truth = _truth(condition(row, env))
            if truth is None:
                return None  # an unknown condition chooses neither
            return chosen(row, env) if truth else other(row, env)

        return if_
    if function in VARIADIC:
        pick = min if function == "MIN" else max

        def extreme(row: Row, env: _Env) -> Result:
            values = [arg(row, env) for arg in args]
            sort = _sort(values[0])
            if sort not in ("number", "date") or any(_sort(v) != sort for v in values):
                return None  # a blank among them is unknown, as in a + b
            return cast(Result, pick(cast(list[Any], values)))

        return extreme
    return lambda row, env: _make_date(*(arg(row, env) for arg in args))


_DATE_PARTS: dict[str, Callable[[date], int]] = {
    "YEAR": lambda d: d.year,
    "MONTH": lambda d: d.month,
    "QUARTER": lambda d: (d.month - 1) // 3 + 1,
}


def _compile_membership(node: Membership, inside: bool) -> _Compiled:
    operand = _compile(node.operand, inside)
    options = [_compile(option, inside) for option in node.options]
    negated = node.negated

    def membership(row: Row, env: _Env) -> bool | None:
        value = operand(row, env)
        if value is None:
            return None
        unknown = False
        for option in options:
            equal = _compare("=", value, option(row, env))
            if equal is True:
                return not negated
            unknown = unknown or equal is None
        return None if unknown else negated

    return membership


def _compile_aggregate(node: Aggregate, inside: bool) -> _Compiled:
    function = node.function
    if inside:
        return _raising(
            "formula.nested_aggregate", node.offset, function=function, outer="COUNT/SUM"
        )
    scope = node.scope
    body = None if node.body is None else _compile(node.body, True)

    def aggregate(row: Row, env: _Env) -> int | Fraction:
        population = env.population
        if population is None:
            raise _error("formula.aggregate_in_rule", node.offset, function=function)
        entries: Sequence[Mapping[str, Value] | None]
        entries = population.reporters() if scope is None else population.members(scope)
        if body is None:
            return len(entries)  # COUNT(scope): the roster, reporters or not
        if function == "COUNT":
            if env.unknown_meets:
                return sum(1 for e in entries if e is None or _truth(body(e, env)) is not False)
            return sum(1 for e in entries if e is not None and body(e, env) is True)
        total: int | Fraction = 0
        for entry in entries:
            if entry is None:
                continue
            number = _number(body(entry, env))
            if number is not None:
                total += number
        return total

    return aggregate


def _raising(code: str, offset: int, **context: object) -> _Compiled:
    """A closure for a formula check() refuses: it fails, afresh, each time it is evaluated."""

    def fail(row: Row, env: _Env) -> Result:
        raise _error(code, offset, **context)

    return fail


def evaluate_row(
    expr: Expression, values: Mapping[str, Value], constants: Mapping[str, Value]
) -> Value | bool | Fraction | None:
    """Evaluate a rule on one form's usable ``values``; None means unknown.

    A missing (or blank) value is None; comparisons and arithmetic with None
    give None; AND, OR and NOT follow Kleene's three-valued logic.
    """
    return expr.compiled(values, _Env(constants, None))


def evaluate_aggregate(
    expr: Expression,
    population: Population,
    constants: Mapping[str, Value],
    *,
    unknown_meets: bool = False,
) -> int | Fraction | None:
    """Evaluate an indicator over the roster; None when it has no number (e.g. 1/0).

    ``unknown_meets`` says on which side a COUNT puts an entry that did not
    report or whose condition is unknown: by default it does not meet the
    condition; with True it does (missing data never helps a target: the
    caller picks the side that does not).
    """
    result = expr.compiled(None, _Env(constants, population, unknown_meets))
    return _number(result)


def evaluate_commune(
    expr: Expression, population: Population, constants: Mapping[str, Value]
) -> bool | None:
    """Evaluate a rule on the commune as a whole (its COUNT and SUM over the roster);
    None when it is neither true nor false (1/0, a blank constant)."""
    return _truth(expr.compiled(None, _Env(constants, population, False)))


def aggregate_values(
    expr: Expression, population: Population, constants: Mapping[str, Value]
) -> list[tuple[str, int | Fraction | None]]:
    """Each COUNT and SUM of ``expr`` as written, with its value over ``population``:
    the figures a rule on the commune compares."""
    out: list[tuple[str, int | Fraction | None]] = []
    for node in walk(expr.root):
        if isinstance(node, Aggregate):
            start, end = node.span
            text = expr.text[start:end]
            value = evaluate_aggregate(parse(text), population, constants)
            if (text, value) not in out:
                out.append((text, value))
    return out
