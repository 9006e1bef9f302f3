//! Integration tests of rtclient-protocol: real recordings, spec coverage, snapshots, errors,
//! property tests.

mod errors;
mod props;
mod recorded;
mod snapshots;
mod spec_coverage;
mod testutil;
