//! The integration tests, in one binary so that they share one moto server (see `harness`).
//! Run them with `cargo test --test it` (moto and the AWS CLI must be installed).

mod check;
mod harness;
mod sandbox;
mod setup;
mod tool;
mod validation;
