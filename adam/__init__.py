"""The ADaM engine: the spec model, dataset programs, the derivation vocabulary and plugins.

Public entry points: :func:`adamforge.adam.spec.load_spec`, :func:`adamforge.adam.program.run_programs`,
:func:`adamforge.adam.step.derive_adam`, and :func:`derivation`, the decorator a study's plugin
module uses to offer its own derivations (:mod:`adamforge.adam.plugins`).
"""

from .plugins import derivation

__all__ = ["derivation"]
