# Kept out of the test cluster's Ray processes (tests/distributed/conftest.py puts this folder first on their
# PYTHONPATH): jsonschema imports rfc3987_syntax when it is installed (jupyter's extras install it into the
# reference environment), and building its grammar at import took 7 of the 10 s `import ray` took here on a
# busy 2-core machine — past the 15 s in which Ray 2.60's raylet waits for its agents' port files. jsonschema
# treats an ImportError as "not installed" and Ray never validates IRIs.
raise ImportError("rfc3987_syntax is not imported in the test cluster (slow import; see this file)")
