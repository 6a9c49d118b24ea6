//! End-to-end tests of coastwatch live in `tests/`.
