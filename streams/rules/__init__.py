"""The rules knowledge base: documents, validation, resolution of free text, and rule application.

Public API::

    from streams.rules import RulesCatalog, RulesError

    catalog = RulesCatalog.load(settings.rules_dir)        # raises RulesError listing every problem
    res = catalog.resolve("뚜껑 닫힌 생수병은?")              # -> Resolution
    guidance = catalog.apply("water_pet_bottle", res.state, match="exact")   # -> ItemGuidance
    catalog.apply_category("플라스틱류", res.state)          # category-level guidance
"""

from streams.rules.catalog import CatalogStats, RulesCatalog, RulesError
from streams.rules.model import CATEGORY_SLUGS, CategoryDoc, Condition, ItemDoc, NotThis, Source
from streams.rules.resolution import Candidate, Mention, Resolution

__all__ = [
    "CATEGORY_SLUGS",
    "Candidate",
    "CatalogStats",
    "CategoryDoc",
    "Condition",
    "ItemDoc",
    "Mention",
    "NotThis",
    "Resolution",
    "RulesCatalog",
    "RulesError",
    "Source",
]
