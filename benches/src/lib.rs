//! Helpers shared by the benchmark binaries.
