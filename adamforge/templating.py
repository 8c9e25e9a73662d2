"""Sandboxed Jinja: the one way adamforge renders a template.

Templates are untrusted input (a user restyles the Word template; a template is a file anyone
can hand over). Every Jinja use (Word templates through docxtpl, the HTML reports) renders in
:func:`sandboxed_environment`:

* ``jinja2.sandbox.ImmutableSandboxedEnvironment``: no attribute starting with ``_`` (so no
  ``__init__``, ``__globals__``, ``__class__``...), no function internals, no mutation of the
  data handed in (``list.append``, ``dict.update``...);
* autoescaping on (XML/HTML special characters in the data stay text) and ``StrictUndefined``
  (a name we did not hand in is an error, not an empty string);
* no globals at all: Jinja's ``range``, ``dict``, ``lipsum``, ``cycler``, ``joiner`` and
  ``namespace`` are removed; only the context variables of the caller exist;
* only the filters of :data:`SAFE_FILTERS` (text formatting; not ``safe``, which would turn
  autoescaping off, nor ``attr``/``map``/``sort``... which reach into objects);
* ``*`` and ``**`` bounded (``{{ 'x' * 10**10 }}`` would exhaust memory).

With ``allowed`` (the names of the context), every template source is checked *before*
rendering: a name outside ``allowed`` or an attribute/key starting with ``_`` is refused with
:class:`TemplateRefused`, naming the template file, the part and the offending expression.
What the sandbox stops at render time (``jinja2.exceptions.SecurityError``) and an undefined
name are refused the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, MutableMapping
from typing import Any

import jinja2
from jinja2 import meta, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .errors import AdamforgeError

__all__ = ["SAFE_FILTERS", "TemplateRefused", "sandboxed_environment", "refusal"]

#: the Jinja filters a template may use (all others, including ``safe``, are removed)
SAFE_FILTERS = frozenset(
    {
        "abs",
        "capitalize",
        "center",
        "default",
        "d",
        "escape",
        "e",
        "first",
        "float",
        "format",
        "indent",
        "int",
        "join",
        "last",
        "length",
        "count",
        "lower",
        "upper",
        "replace",
        "round",
        "string",
        "title",
        "trim",
        "truncate",
        "wordcount",
        "wordwrap",
        "striptags",
    }
)

#: the largest string or list a ``*`` may build in a template, and the largest ``**`` exponent
MAX_REPEAT = 1_000_000
MAX_POWER = 1_000


class TemplateRefused(AdamforgeError):
    """A template that reaches beyond what it was handed (exit 1); the message names file and expression."""


class _Sandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**"})

    def __init__(
        self,
        *,
        source_name: str,
        allowed: frozenset[str] | None,
        part_name: Callable[[], str | None] | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(**kw)
        self.source_name = source_name
        self.allowed = allowed
        self.part_name = part_name  # a callable giving the part being rendered (docx), or None

    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, (str, bytes, list, tuple)) and isinstance(n, int) and len(seq) * n > MAX_REPEAT:
                    raise jinja2.exceptions.SecurityError(
                        f"'*' would build a value of {len(seq) * n:,} items (limit {MAX_REPEAT:,})"
                    )
        if operator == "**" and isinstance(right, (int, float)) and abs(right) > MAX_POWER:
            raise jinja2.exceptions.SecurityError(f"'**' with exponent {right} (limit {MAX_POWER})")
        return super().call_binop(context, operator, left, right)

    def from_string(  # noqa: A002 - Jinja's signature
        self,
        source: str | nodes.Template,
        globals: MutableMapping[str, Any] | None = None,
        template_class: type[jinja2.Template] | None = None,
    ) -> jinja2.Template:
        if self.allowed is not None and isinstance(source, str):
            self._check(source, self.allowed)
        return super().from_string(source, globals, template_class)

    def _where(self) -> str:
        part = self.part_name() if self.part_name else None
        return f"{self.source_name!r}" + (f", part {part}" if part else "")

    def _check(self, source: str, allowed: frozenset[str]) -> None:
        try:
            ast = self.parse(source)
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateRefused(
                f"template {self._where()}: Jinja syntax error on line {exc.lineno}: {exc.message}"
            ) from None
        for node in ast.find_all((nodes.Filter, nodes.Test)):
            kind = "filter" if isinstance(node, nodes.Filter) else "test"
            if node.name not in (self.filters if kind == "filter" else self.tests):
                raise TemplateRefused(
                    f"template {self._where()}: {_expression(source, node.name)} uses the {kind} {node.name!r}, "
                    f"not one a template may use (allowed: {', '.join(sorted(self.filters if kind == 'filter' else self.tests))})"
                )
        unknown = sorted(meta.find_undeclared_variables(ast) - allowed)
        if unknown:
            raise TemplateRefused(
                f"template {self._where()}: {_expression(source, unknown[0])} uses {', '.join(map(repr, unknown))}, "
                f"not a variable a template is handed (allowed: {', '.join(sorted(allowed))})"
            )
        for access in ast.find_all((nodes.Getattr, nodes.Getitem)):
            if isinstance(access, nodes.Getattr):
                name = access.attr
            elif (
                isinstance(access, nodes.Getitem)
                and isinstance(access.arg, nodes.Const)
                and isinstance(access.arg.value, str)
            ):
                name = access.arg.value
            else:
                name = ""
            if name.startswith("_"):
                raise TemplateRefused(
                    f"template {self._where()}: {_expression(source, name)} reaches for the "
                    f"internal attribute {name!r}; a template may only show the values it is "
                    "handed"
                )


def _expression(source: str, name: str) -> str:
    """The template tag (``{{ ... }}`` / ``{% ... %}``) mentioning ``name``, for messages."""
    text = re.sub(r"<[^>]+>", "", source)
    for m in re.finditer(r"\{[{%].*?[%}]\}", text, flags=re.S):
        if re.search(r"(?<![\w])" + re.escape(name) + r"(?!\w)", m.group(0)):
            tag = " ".join(m.group(0).split())
            return f"the expression {tag[:200]!r}"
    return f"an expression with {name!r}"


def sandboxed_environment(
    *,
    source_name: str,
    allowed: Iterable[str] | None = None,
    part_name: Callable[[], str | None] | None = None,
    filters: Iterable[str] = SAFE_FILTERS,
    **options: Any,
) -> jinja2.Environment:
    """A sandboxed, autoescaping, strict Jinja environment without globals.

    Parameters
    ----------
    source_name : the template file, named in errors.
    allowed : the context variable names; when given, each source is checked before rendering.
    part_name : optional callable returning the part being rendered (e.g. ``word/footer1.xml``).
    filters : the filter names kept (a subset of :data:`SAFE_FILTERS`).
    options : other ``jinja2.Environment`` options (``loader``, ``trim_blocks``...).
    """
    options.setdefault("autoescape", True)
    options.setdefault("undefined", jinja2.StrictUndefined)
    env = _Sandbox(
        source_name=source_name,
        allowed=frozenset(allowed) if allowed is not None else None,
        part_name=part_name,
        **options,
    )
    keep = set(filters) & SAFE_FILTERS
    env.filters = {k: v for k, v in env.filters.items() if k in keep}
    env.globals.clear()
    return env


def refusal(exc: jinja2.TemplateError, source_name: str, part: str | None = None) -> TemplateRefused:
    """A :class:`TemplateRefused` for a render-time template error (sandbox, undefined name, syntax, other)."""
    where = f"{source_name!r}" + (f", part {part}" if part else "")
    if isinstance(exc, jinja2.exceptions.SecurityError):
        return TemplateRefused(f"template {where}: refused by the sandbox: {exc}")
    if isinstance(exc, jinja2.UndefinedError):
        return TemplateRefused(f"template {where}: {exc.message} (a template may only use the values it is handed)")
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return TemplateRefused(f"template {where}: {exc.message}")
    return TemplateRefused(f"template {where}: {type(exc).__name__}: {exc}")
