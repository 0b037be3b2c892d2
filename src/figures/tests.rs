//! Table-driven cases (tests.tsv) and property tests.
