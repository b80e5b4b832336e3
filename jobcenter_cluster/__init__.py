"""jobcenter-cluster: make a JobCenter job server highly available on any HA cluster product.

Import nothing heavy here: `jccluster agent ... monitor` and `jccluster site status` start through
this package and must stay on the standard library.
"""

__version__ = "0.1.0"
