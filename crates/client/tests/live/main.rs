//! Integration tests of the GPT-Live client: a replay of the real recorded session over
//! loopback.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod replay;
