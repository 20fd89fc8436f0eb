"""Raw layer: landing files -> validated, pseudonymised rows in DuckDB ``raw.*``.

Public entry points:
- `build_raw_assets(partitions_def)`: the Dagster assets (keys ``raw/<table>``).
- `index_landing(settings, sources=None)`: which landed files touch which months.
- `derive_reference_files(source, format, paths, landing_dir)`: reference rows an export implies.
- `formats_for(source)`: the format names a source can be read in.
"""

from assets.raw.adapters import derive_reference_files, formats_for
from assets.raw.assets import build_raw_assets
from assets.raw.landing import LandedFile, LandingIndex, index_landing

__all__ = [
    "LandedFile",
    "LandingIndex",
    "build_raw_assets",
    "derive_reference_files",
    "formats_for",
    "index_landing",
]
