//! spec_coverage
