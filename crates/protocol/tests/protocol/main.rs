//! Integration tests of rtclient-protocol: real recordings, spec coverage, snapshots, errors,
//! property tests.

// Tests panic on unexpected results by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod errors;
mod live;
mod props;
mod recorded;
mod snapshots;
mod spec_coverage;
mod testutil;
mod wire_golden;
