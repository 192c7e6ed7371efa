"""StarRocks SQL as tokens: sqlglot's StarRocks tokenizer, adjusted where StarRocks' own lexer
(``StarRocksLex.g4``) and the scripts people run through the mysql client differ from it.

Never raises: text being typed is often unfinished, so an unterminated string, backquoted name or
comment is one last piece running to the end of the text (a token of kind OPEN, or
``Lexed.open_comment_from``), as StarRocks would also read it (it fails on the whole statement).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import ClassVar

from sqlglot.dialects.starrocks import StarRocks
from sqlglot.errors import TokenError
from sqlglot.tokens import Token as GlotToken
from sqlglot.tokens import TokenType


class _ScriptTokenizer(StarRocks.Tokenizer):
    # `#` is no comment in StarRocksLex.g4, but the mysql client strips `# ...` lines before it sends
    # a statement, so scripts written for it carry them; Statement.sql blanks them the same way.
    COMMENTS: ClassVar[list[str | tuple[str, str]]] = ["--", "#", ("/*", "*/")]
    # sqlglot reads some statements (SUBMIT, RENAME...) as one opaque command and loses the
    # positions of what follows; every word is kept here, as StarRocks' lexer keeps them.
    COMMANDS: ClassVar[set[TokenType]] = set()
    # StarRocks' ATTACHMENT token: `$$ ... $$` (inline UDF code), which may hold semicolons. `$` is
    # also a letter of StarRocks names (a$b), hence allowed inside words.
    QUOTES: ClassVar[list[str | tuple[str, str]]] = [*StarRocks.Tokenizer.QUOTES, ("$$", "$$")]
    SINGLE_TOKENS: ClassVar[dict[str, TokenType]] = {
        **StarRocks.Tokenizer.SINGLE_TOKENS,
        "$": TokenType.PARAMETER,
    }
    VAR_SINGLE_TOKENS: ClassVar[set[str]] = {*StarRocks.Tokenizer.VAR_SINGLE_TOKENS, "$"}


class Kind(Enum):
    WORD = "word"  # a keyword or an unquoted name
    NAME = "name"  # a `backquoted` name
    STRING = "string"  # '...', "...", x'..', $$...$$
    NUMBER = "number"
    VARIABLE = "variable"  # @ and @@ of user and system variables
    SEMICOLON = "semicolon"
    PUNCT = "punct"
    OPEN = "open"  # an unterminated string or backquoted name, to the end of the text


@dataclass(frozen=True, slots=True)
class Token:
    kind: Kind
    text: str  # as written, quotes included
    value: str  # what it stands for: a string's or a backquoted name's content without quotes
    start: int
    end: int  # exclusive

    @property
    def word(self) -> str:
        """The upper-cased word of a keyword or unquoted name; "" for anything else."""
        return self.text.upper() if self.kind is Kind.WORD else ""


@dataclass(frozen=True)
class Lexed:
    text: str
    tokens: tuple[Token, ...]
    # Where an unterminated comment begins (it runs to the end of the text); None when all is closed.
    open_comment_from: int | None = None

    def comments(self) -> list[tuple[int, int]]:
        """The (start, end) spans of the comments (and optimizer hints) of the text."""
        spans: list[tuple[int, int]] = []
        pos = 0
        for tok in self.tokens:
            spans += _comments_in(self.text, pos, tok.start)
            pos = tok.end
        end = self.open_comment_from if self.open_comment_from is not None else len(self.text)
        spans += _comments_in(self.text, pos, end)
        if self.open_comment_from is not None:
            spans.append((self.open_comment_from, len(self.text)))
        return spans


_KINDS: dict[TokenType, Kind] = {
    TokenType.IDENTIFIER: Kind.NAME,
    TokenType.STRING: Kind.STRING,
    TokenType.HEX_STRING: Kind.STRING,
    TokenType.BIT_STRING: Kind.STRING,
    TokenType.BYTE_STRING: Kind.STRING,
    TokenType.NATIONAL_STRING: Kind.STRING,
    TokenType.NUMBER: Kind.NUMBER,
    TokenType.SEMICOLON: Kind.SEMICOLON,
    TokenType.PARAMETER: Kind.VARIABLE,
    TokenType.SESSION_PARAMETER: Kind.VARIABLE,
}


def _glot(text: str) -> tuple[list[GlotToken], int | None]:
    """sqlglot's tokens of ``text``, and where an unterminated last one begins (None if none)."""
    tokenizer = _ScriptTokenizer()
    try:
        return tokenizer.tokenize(text), None
    except TokenError:
        raw = list(tokenizer.tokens)
        # Where the failing token began. sqlglot keeps it on its tokenizer core only; without it,
        # the text after the last whole token is taken as the unterminated piece.
        open_from = getattr(getattr(tokenizer, "_core", None), "_start", None)
        if not isinstance(open_from, int):
            open_from = raw[-1].end + 1 if raw else 0
        return [t for t in raw if t.end < open_from], open_from


def semicolons(text: str) -> tuple[list[int], bool]:
    """The offsets of the semicolons that end statements in ``text``, and whether its end is inside
    an unterminated string, name or comment (the cheap reading a long script is indexed with)."""
    raw, open_from = _glot(text)
    return [t.start for t in raw if t.token_type is TokenType.SEMICOLON], open_from is not None


def lex(text: str) -> Lexed:
    """The tokens of ``text`` with their offsets; see the module's docstring for unfinished text."""
    raw, open_from = _glot(text)
    tokens = [_token(text, t) for t in raw]
    if open_from is None:
        return Lexed(text, tuple(tokens))
    rest = text[open_from:]
    if rest.lstrip().startswith("/*"):
        return Lexed(text, tuple(tokens), open_comment_from=open_from + len(rest) - len(rest.lstrip()))
    begin = open_from + len(rest) - len(rest.lstrip())
    if begin < len(text):
        tokens.append(Token(Kind.OPEN, text[begin:], text[begin + 1 :], begin, len(text)))
    return Lexed(text, tuple(tokens))


def _token(text: str, t: GlotToken) -> Token:
    start, end = t.start, t.end + 1
    written = text[start:end]
    kind = _KINDS.get(t.token_type)
    if kind is None:
        kind = Kind.WORD if written[:1].isalpha() or written[:1] in "_$" else Kind.PUNCT
    return Token(kind, written, t.text, start, end)


def _comments_in(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Comments in a stretch the tokenizer found to hold only blanks and comments."""
    spans: list[tuple[int, int]] = []
    i = start
    while i < end:
        c = text[i]
        if c.isspace():
            i += 1
        elif text.startswith("/*", i):
            close = text.find("*/", i + 2, end)
            stop = end if close < 0 else close + 2
            spans.append((i, stop))
            i = stop
        else:  # `--` or `#`: to the end of the line
            newline = text.find("\n", i, end)
            stop = end if newline < 0 else newline
            spans.append((i, stop))
            i = stop
    return spans
