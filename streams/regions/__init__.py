"""Where you live: the 시·군·구 table, reading a region, official district schedules and district overrides.

Public surface (docs/regions.md)::

    from streams.regions import district_table, read_region, read_region_field, read_housing  # no HTTP
    from streams.regions.guide import RegionalGuide, FileGuide, CachedGuide, make_guide
    from streams.regions.mois import MoisClient                                # the 행정안전부 open API
    from streams.regions.localise import Localiser, clarify                    # used by the rag stage
    from streams.regions.overrides import RegionDoc, load_folder               # rules/regions/{code}.json
"""

from streams.regions.reading import read_housing, read_region, read_region_field
from streams.regions.table import District, DistrictTable, Located, district_table

__all__ = ["District", "DistrictTable", "Located", "district_table", "read_housing", "read_region",
           "read_region_field"]
