//! The integration tests, in one binary so that they share one moto server (see `harness`).
//! Run them with `cargo test --test it` (moto and the AWS CLI must be installed).

// A panic is how a test fails; helpers here may unwrap what the tool printed.
#![allow(clippy::unwrap_used)]

mod archive;
mod archive_delivery;
mod archive_setup;
mod aws_rules;
mod buzz_boundary;
mod check;
mod cloudwatch_translator;
mod deputy;
mod encryption;
mod environment;
mod faults;
mod halves;
mod harness;
mod hierarchy;
mod identity;
mod json_output;
mod kms;
mod layering;
mod lost_events;
mod no_widening;
mod operate;
mod properties;
mod registration;
mod repository;
mod sandbox;
mod scanner;
mod setup;
mod sizes;
mod tool;
mod trust;
mod validation;
mod wizard;
